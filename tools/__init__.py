"""Maintainer scripts, not installed with the package: run them from the repository's root.

    python -m tools.figures [NAME-PART ...]   redraw figures/ (all, or those whose name contains a part)
    python -m tools.notebooks stamp|run|check  write the generated cells; execute notebooks in place
"""
