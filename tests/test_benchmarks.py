"""The benchmark cannot rot: its smoke run (tiny sizes, a few repetitions, no thresholds)
must finish, exit 0 and print its Markdown tables. The full run makes the README's table."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "run.py"


def run_benchmark(*args):
    return subprocess.run([sys.executable, str(SCRIPT), "--smoke", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_smoke_run_exits_0_and_prints_tables():
    result = run_benchmark()
    assert result.returncode == 0, result.stderr[-2000:]
    assert "|---|" in result.stdout, result.stdout[-2000:]
    for heading in ("## Layers", "## Scaling", "## The teaching ladder", "## Widgets",
                    "## Notebooks"):
        assert heading in result.stdout
    assert "BLAS" in result.stdout  # says which BLAS NumPy runs


def test_only_runs_the_sections_asked_for():
    result = run_benchmark("--only", "ladder")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "## The teaching ladder" in result.stdout
    assert "## Layers" not in result.stdout and "## Widgets" not in result.stdout


def test_an_unknown_section_is_refused_with_the_choices():
    result = run_benchmark("--only", "everything")
    assert result.returncode == 2
    assert "layers" in result.stderr
