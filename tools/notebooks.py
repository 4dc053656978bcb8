"""Keep the notebooks' generated parts in sync, and run the notebooks.

    python -m tools.notebooks stamp [NAME]  write the generated cells (of some notebooks) and README parts
    python -m tools.notebooks run [NAME]   execute notebooks top to bottom in a fresh kernel, in place
    python -m tools.notebooks check        exit 1 if `stamp` would change anything

Generated parts (never edit them by hand):
- in every notebook, after the title: the Colab badge and the navigation line
  (previous | contents | next), then the setup cell, which on Colab only installs
  this package from the repository and enables Colab's widget manager;
- at the end of every notebook: the navigation line again;
- every figure: a Markdown image of a file in figures/, written `![alt text](../figures/NAME)`,
  becomes a figure cell of its own that holds the image inline as a `data:` URI, so it shows
  wherever the notebook is opened (Colab, GitHub, VS Code, JupyterLab started from any folder,
  offline); stamping again refreshes it from figures/NAME, keeping its alt text;
- every notebook's kernelspec, set to what JupyterLab writes, so opening one does not mark it modified;
- in 00_start_here: the reading-order list; in README.md: the notebook table, the badges and the
  animation gallery table, the clone command.
The repository URL is read from one place: [project.urls] Repository in pyproject.toml.
"""

import base64
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FIGURES = ROOT / "figures"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_ALT = r"!\[((?:[^\[\]]|\[(?:[^\[\]]|\[[^\[\]]*\])*\])*)\]"  # alt text may hold [[nested]] brackets
FIGURE_LINK = re.compile(_ALT + r"\(\.\./figures/([^)\s]+)\)")  # ![alt](../figures/NAME)
EMBEDDED_ALT = re.compile(r"^!\[((?:\\.|[^\\\[\]])*)\]\(data:")  # in a figure cell, brackets are escaped
README = ROOT / "README.md"
INDEX = "00_start_here.ipynb"
BRANCH = "main"


def repository_url():
    """The repository URL from pyproject.toml ([project.urls] Repository)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^Repository\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise ValueError("pyproject.toml has no [project.urls] Repository entry")
    return match.group(1).rstrip("/")


def github_path():
    """'owner/name' of the repository."""
    return repository_url().split("github.com/", 1)[1]


def notebook_paths():
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title(nb):
    """The notebook's H1 title (its first Markdown line that starts with '# ')."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "(untitled)"


def colab_url(name):
    return f"https://colab.research.google.com/github/{github_path()}/blob/{BRANCH}/notebooks/{name}"


def binder_url():
    return (f"https://mybinder.org/v2/gh/{github_path()}/{BRANCH}"
            f"?urlpath=lab/tree/notebooks/{INDEX}")


def colab_badge(name):
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(name)})")


def binder_badge():
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url()})"


SETUP_SOURCE = '''\
# Setup. On Colab: install this series' package and turn on Colab's widget manager.
# Everywhere else this cell does nothing (see the README to set up locally).
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "git+{url}"], check=True)
    from google.colab import output

    output.enable_custom_widget_manager()'''


def _cell(kind, source, tag):
    cell = {"cell_type": kind, "id": tag, "metadata": {"tags": [tag]}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def navigation(paths, index):
    """'← previous | Contents | next →' for the notebook at position index."""
    parts = []
    if index > 0:
        prev = paths[index - 1]
        parts.append(f"[← {title(_load(prev))}]({prev.name})")
    if paths[index].name != INDEX:
        parts.append(f"[Contents]({INDEX})")
    if index + 1 < len(paths):
        nxt = paths[index + 1]
        parts.append(f"[{title(_load(nxt))} →]({nxt.name})")
    return " | ".join(parts)


def contents(paths):
    """The reading-order list: one linked line per notebook after the index."""
    lines = []
    for path in paths:
        if path.name != INDEX:
            lines.append(f"{path.name[:2]}. [{title(_load(path))}]({path.name})")
    return "\n".join(lines)


def _load(path):
    import nbformat

    return nbformat.read(path, as_version=4)


def _tagged(cell, tag):
    return tag in cell.get("metadata", {}).get("tags", [])


def figure_cell(name, alt):
    """A Markdown cell showing figures/NAME inline, as a data: URI (Colab renders no relative paths)."""
    kind = {".png": "png", ".gif": "gif"}[Path(name).suffix]
    data = base64.b64encode((FIGURES / name).read_bytes()).decode("ascii")
    alt = re.sub(r"([\[\]])", r"\\\1", " ".join(alt.split()))  # [[1, 2]] in alt text breaks some renderers
    cell = _cell("markdown", f"![{alt}](data:image/{kind};base64,{data})", "figure")
    cell["id"] = "figure-" + re.sub(r"[^A-Za-z0-9]+", "-", Path(name).with_suffix("").as_posix())
    cell["metadata"]["figure"] = name
    return cell


def embed_figures(cells):
    """Cells with every `![alt](../figures/NAME)` moved into a figure cell, and figure cells refreshed."""
    result = []
    for cell in cells:
        source = "".join(cell["source"])
        if _tagged(cell, "figure"):
            alt = re.sub(r"\\(.)", r"\1", EMBEDDED_ALT.match(source).group(1))
            result.append(figure_cell(cell["metadata"]["figure"], alt))
            continue
        pieces = FIGURE_LINK.split(source) if cell["cell_type"] == "markdown" else [source]
        if len(pieces) == 1:
            result.append(cell)
            continue
        # pieces: text, alt, name, text, alt, name, ..., text
        for n, text in enumerate(pieces[0::3]):
            if text.strip():
                part = dict(cell, source=text.strip("\n"), id=cell["id"] if n == 0 else f"{cell['id']}-{n}")
                result.append(part)
            if 3 * n + 2 < len(pieces):
                result.append(figure_cell(pieces[3 * n + 2], pieces[3 * n + 1]))
    return result


def stamped_notebook(paths, index):
    """The notebook at paths[index] with its generated cells rewritten."""
    nb = _load(paths[index])
    old = nb["cells"]
    previous = {tag: next((c for c in old if _tagged(c, tag)), None)
                for tag in ("stamp-header", "stamp-setup", "stamp-footer")}
    cells = embed_figures([c for c in old if not any(_tagged(c, t) for t in previous)])
    nav = navigation(paths, index)
    header = _cell("markdown", f"{colab_badge(paths[index].name)}\n\n{nav}", "stamp-header")
    setup = _cell("code", SETUP_SOURCE.format(url=repository_url()), "stamp-setup")
    footer = _cell("markdown", f"---\n{nav}", "stamp-footer")
    # keep an already-executed setup cell as it was, so stamping does not un-execute notebooks
    if previous["stamp-setup"] is not None and previous["stamp-setup"]["source"] == setup["source"]:
        setup = previous["stamp-setup"]
    cells = [cells[0], header, setup, *cells[1:], footer]
    for cell in cells:
        if _tagged(cell, "stamp-contents"):
            cell["source"] = "## Reading order\n\n" + contents(paths)
    nb["cells"] = cells
    nb["metadata"]["kernelspec"] = dict(KERNELSPEC)
    return nb


def readme_text(paths):
    """README.md with its generated notebook table and badges rewritten."""
    text = README.read_text(encoding="utf-8")
    rows = ["| # | Notebook | Colab |", "|---|---|---|"]
    for path in paths:
        rows.append(f"| {path.name[:2]} | [{title(_load(path))}](notebooks/{path.name}) "
                    f"| {colab_badge(path.name)} |")
    table = "\n".join(rows)
    badges = f"{binder_badge()} {colab_badge(INDEX)}"
    from utils.gallery import readme_table

    name = repository_url().rsplit("/", 1)[1]
    clone = f"```bash\ngit clone {repository_url()}.git && cd {name}\n```"
    for marker, body in (("notebooks", table), ("badges", badges), ("gallery", readme_table()),
                         ("clone", clone)):
        text = re.sub(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)",
                      lambda m: m.group(1) + body + "\n" + m.group(2), text, flags=re.DOTALL)
    return text


def _dump(nb):
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def stamp(write=True, names=()):
    """Rewrite every generated part; return the files that changed (or would change).
    names: stamp only the notebooks whose file names contain one of them, not the README."""
    paths = notebook_paths()
    changed = []
    for index, path in enumerate(paths):
        if names and not any(n in path.name for n in names):
            continue
        new = _dump(stamped_notebook(paths, index))
        if new != path.read_text(encoding="utf-8"):
            changed.append(path)
            if write:
                path.write_text(new, encoding="utf-8")
    new_readme = README.read_text(encoding="utf-8") if names else readme_text(paths)
    if new_readme != README.read_text(encoding="utf-8"):
        changed.append(README)
        if write:
            README.write_text(new_readme, encoding="utf-8")
    return changed


def run(names=()):
    """Execute notebooks in place, top to bottom, each in a fresh kernel, from notebooks/."""
    import nbformat
    from nbclient import NotebookClient

    paths = [p for p in notebook_paths() if not names or any(n in p.name for n in names)]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        nbformat.write(nb, path)
        print(f"ran {path.name}")


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["stamp"]
    if command == "stamp":
        for path in stamp(names=args):
            print(f"updated {path.relative_to(ROOT)}")
    elif command == "check":
        stale = stamp(write=False)
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run python -m tools.notebooks stamp)")
        sys.exit(1 if stale else 0)
    elif command == "run":
        run(args)
    else:
        sys.exit(__doc__)
