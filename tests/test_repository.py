"""The repository around the code: README, CI, requirements, notebooks' hygiene and generated parts."""

import ast
import inspect
import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tools import notebooks

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the TOML reader pytest itself uses there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_PATHS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def readme_test_command():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- test-command:start -->\n```bash\n(.+?)\n```", text, re.DOTALL)
    assert block, "README.md has no test command between the test-command markers"
    return block.group(1).strip()


def test_ci_runs_the_readme_test_command_exactly():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_test_command() in [line.strip() for line in ci]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirement_lines():
    """requirements.txt without comments and blank lines."""
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_requirements_install_the_package_with_its_test_extra_and_nothing_else():
    # every version is declared once, in pyproject.toml; requirements.txt (Binder's too) derives from it
    assert _requirement_lines() == ["-e .[test]"]


def test_runtime_txt_names_a_python_for_binder():
    version = re.fullmatch(r"python-(3\.\d+)", (ROOT / "runtime.txt").read_text().strip())
    assert version, "runtime.txt must read like python-3.11"
    assert version.group(1) in SpecifierSet(_pyproject()["project"]["requires-python"]), \
        "Binder's Python is below the project's requires-python"


def test_license_covers_code_and_figures():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in text and "CC BY 4.0" in text


# --- every third-party import is declared --------------------------------------------------------

def _imports(source):
    """Top-level module names imported by Python source (IPython magics are dropped first)."""
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _all_imports():
    names = set()
    for path in [*ROOT.glob("utils/*.py"), *ROOT.glob("tools/*.py"), *ROOT.glob("tests/**/*.py"),
                 *ROOT.glob("benchmarks/*.py")]:
        names |= _imports(path.read_text(encoding="utf-8"))
    for path in NOTEBOOK_PATHS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                names |= _imports("".join(cell["source"]))
    scripts = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/*.py")]  # import each other
    local = {"utils", "tools", "tests", "conftest"} | {p.stem for p in scripts}
    # the test oracle; Colab's own module, used only on Colab; TOML readers: the standard library's
    # from Python 3.11, else the tomli that pytest depends on
    optional = {"torch", "google", "tomllib", "tomli"}
    return sorted(names - set(sys.stdlib_module_names) - local - optional)


def _declared_closure():
    """Normalised names of the distributions pyproject.toml declares (dependencies and the test
    extra, what requirements.txt installs) and of everything they depend on."""
    project = _pyproject()["project"]
    todo = [Requirement(r).name for r in project["dependencies"]]
    todo += [Requirement(r).name for r in project["optional-dependencies"]["test"]]
    seen = set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [Requirement(r).name for r in requires if "extra ==" not in r]
    return seen


def _module_providers():
    """{top-level module name: {distribution names}} over the installed distributions.

    Like metadata.packages_distributions(), which on Python 3.10 reads only top_level.txt
    (absent from many wheels, hypothesis's among them); this also reads every file list.
    """
    providers = {}
    for dist in metadata.distributions():
        tops = (dist.read_text("top_level.txt") or "").split()
        for file in dist.files or []:
            tops.append(file.parts[0] if len(file.parts) > 1 else inspect.getmodulename(file.name))
        for top in tops:
            if top and "." not in top:  # a package or module, not foo.dist-info or a .pth file
                providers.setdefault(top, set()).add(canonicalize_name(dist.metadata["Name"]))
    return providers


def test_every_third_party_import_is_declared_in_pyproject():
    declared, providers = _declared_closure(), _module_providers()
    missing = []
    for module in _all_imports():
        dists = providers.get(module, set())
        if not dists & declared:
            missing.append(f"{module} (from {sorted(dists) or 'an unknown distribution'})")
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


# --- notebooks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_and_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), \
        "run it top to bottom in a fresh kernel: python -m tools.notebooks run"
    for cell in code:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", "".join(cell["source"])[:80]
            assert output.get("name") != "stderr", f"stderr output in: {''.join(cell['source'])[:80]}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_links_and_images_exist(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", "".join(cell["source"])):
            if not target.startswith(("http://", "https://", "#", "mailto:", "data:")):
                file_part = target.split("#")[0]
                assert (path.parent / file_part).exists(), f"{path.name} links to missing {target}"


def test_generated_parts_are_in_sync():
    stale = notebooks.stamp(write=False)
    assert not stale, f"run `python -m tools.notebooks stamp`: out of date: {stale}"


def test_every_notebook_has_colab_badge_setup_cell_and_navigation():
    url = notebooks.repository_url()
    for path in notebooks.notebook_paths():
        nb = json.loads(path.read_text(encoding="utf-8"))
        tags = [t for c in nb["cells"] for t in c.get("metadata", {}).get("tags", [])]
        assert {"stamp-header", "stamp-setup", "stamp-footer"} <= set(tags), path.name
        first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        source = "".join(first_code["source"])
        assert '"google.colab" in sys.modules' in source and url in source, path.name
        header = "".join(nb["cells"][1]["source"])
        assert notebooks.colab_url(path.name) in header, path.name


WORD_BUDGET = {"00": 2200, "01": 2200, "02": 2200}  # the first three; every later notebook 2,400


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_prose_fits_its_word_budget(path):
    # the Markdown a learner reads: not the generated badge and navigation cells, not figure cells
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    prose = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    prose = [s for s in prose if "colab-badge" not in s and "data:image" not in s
             and not s.lstrip("-\n").startswith("[←")]
    words = sum(len(s.split()) for s in prose)
    assert 300 < words <= WORD_BUDGET.get(path.name[:2], 2400), words
