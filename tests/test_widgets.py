"""Every explorer, built and driven from Python as a front end would: each control moved to its
ends must redraw the picture or explain, in one line, why it cannot, and never raise.

These run again in CI with ipywidgets 7.7 (what Colab ships), with `-m widgets`.
"""

import importlib
import inspect

import pytest

from tools import figures

pytestmark = pytest.mark.widgets
widgets = pytest.importorskip("ipywidgets")


def explorer_constructors():
    found = []
    for name in figures.MODULES:
        module = importlib.import_module(f"utils.{name}")
        for attr, function in inspect.getmembers(module, inspect.isfunction):
            if attr.endswith("_explorer") and function.__module__ == module.__name__:
                found.append(pytest.param(function, id=f"{name}.{attr}"))
    return found


def descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def test_every_notebook_module_has_an_explorer():
    modules = {p.id.split(".")[0] for p in explorer_constructors()}
    assert {"start", "sliding", "matrix", "transposed", "networks", "checkerboard"} <= modules


@pytest.mark.parametrize("make", explorer_constructors())
def test_explorer_redraws_when_any_control_moves(make):
    box = make()
    parts = list(descendants(box))
    image = next(w for w in parts if isinstance(w, widgets.Image))
    message = next(w for w in parts if isinstance(w, widgets.HTML))
    assert image.value and not message.value, "the default state must be a picture"
    controls = [w for w in parts if isinstance(w, (widgets.IntSlider, widgets.Dropdown,
                                                   widgets.ToggleButtons))]
    assert controls
    for control in controls:
        if isinstance(control, widgets.IntSlider):
            ends = [control.max, control.min]
        else:  # Dropdown / ToggleButtons: the last option, then the first
            values = [o[1] if isinstance(o, tuple) else o for o in control.options]
            ends = [values[-1], values[0]]
        seen = {(image.value, message.value)}
        for value in ends:
            control.value = value  # observers run now, in this thread: an exception fails the test
            if message.value:
                assert "\n" not in message.value and len(message.value) < 400
            seen.add((image.value if image.layout.display != "none" else None, message.value))
        if ends[0] != ends[1]:
            assert len(seen) > 1, f"moving {control.description!r} changed nothing"
