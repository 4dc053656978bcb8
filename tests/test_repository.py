"""The repository around the code: README, CI, requirements, notebooks' hygiene and generated parts."""

import ast
import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from utils import notebooks

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


def test_requirements_install_the_package_itself():
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "-e ." in [line.strip() for line in lines]


def test_runtime_txt_names_a_python_for_binder():
    assert re.fullmatch(r"python-3\.\d+", (ROOT / "runtime.txt").read_text().strip())


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
    for path in [*ROOT.glob("utils/*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/*.py")]:
        names |= _imports(path.read_text(encoding="utf-8"))
    for path in NOTEBOOK_PATHS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                names |= _imports("".join(cell["source"]))
    local = {"utils", "tests", "conftest"} | {p.stem for p in ROOT.glob("tests/**/*.py")}
    optional = {"torch", "google"}  # the test oracle; Colab's own module, used only on Colab
    return sorted(names - set(sys.stdlib_module_names) - local - optional)


def _declared_closure():
    """Normalised names of the distributions in requirements.txt and everything they depend on."""
    def norm(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    todo = []
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            todo.append(norm(re.split(r"[<>=!~\[; ]", line)[0]))
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" not in requirement:
                todo.append(norm(re.split(r"[<>=!~\[; (]", requirement)[0]))
    return seen, norm


def test_every_third_party_import_is_declared_in_requirements():
    declared, norm = _declared_closure()
    providers = metadata.packages_distributions()
    missing = []
    for module in _all_imports():
        dists = {norm(d) for d in providers.get(module, [])}
        if not dists & declared:
            missing.append(f"{module} (from {sorted(dists) or 'an unknown distribution'})")
    assert not missing, f"imported but not declared in requirements.txt: {missing}"


# --- notebooks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_and_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), \
        "run it top to bottom in a fresh kernel: python -m utils.notebooks run"
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
            if not target.startswith(("http://", "https://", "#", "mailto:")):
                file_part = target.split("#")[0]
                assert (path.parent / file_part).exists(), f"{path.name} links to missing {target}"


def test_generated_parts_are_in_sync():
    stale = notebooks.stamp(write=False)
    assert not stale, f"run `python -m utils.notebooks stamp`: out of date: {stale}"


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
