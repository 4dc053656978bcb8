"""The public API: names, parameter names and order, defaults, and help(utils)."""

import inspect
import pydoc
import subprocess
import sys

import pytest

import utils

EMPTY = inspect.Parameter.empty

# name -> [(parameter, default)], as documented in help(utils) (EMPTY: no default).
# The parameters after KEYWORD_ONLY[name] are keyword-only, so that none can be swapped
# silently (im2col/col2im: torch's unfold/fold take dilation, padding, stride in that order).
API = {
    "conv_output_size": [("i", EMPTY), ("k", EMPTY), ("stride", 1), ("padding", 0), ("dilation", 1)],
    "conv_transpose_output_size": [("i", EMPTY), ("k", EMPTY), ("stride", 1), ("padding", 0),
                                   ("dilation", 1), ("output_padding", 0)],
    "conv2d_loops": [("x", EMPTY), ("w", EMPTY), ("stride", 1), ("padding", 0), ("dilation", 1)],
    "conv_matrix": [("w", EMPTY), ("input_shape", EMPTY), ("stride", 1), ("padding", 0), ("dilation", 1),
                    ("max_entries", 25_000_000)],
    "conv_transpose2d_matrix": [("y", EMPTY), ("w", EMPTY), ("stride", 1), ("padding", 0),
                                ("output_padding", 0), ("dilation", 1), ("max_entries", 25_000_000)],
    "conv_transpose2d_scatter": [("y", EMPTY), ("w", EMPTY), ("stride", 1), ("padding", 0),
                                 ("output_padding", 0), ("dilation", 1)],
    "conv_transpose2d_as_conv": [("y", EMPTY), ("w", EMPTY), ("stride", 1), ("padding", 0),
                                 ("output_padding", 0), ("dilation", 1)],
    "im2col": [("x", EMPTY), ("kernel_size", EMPTY), ("stride", 1), ("padding", 0), ("dilation", 1)],
    "col2im": [("cols", EMPTY), ("output_size", EMPTY), ("kernel_size", EMPTY), ("stride", 1), ("padding", 0),
               ("dilation", 1)],
    # torch.nn.functional's order: conv2d(input, weight, bias, stride, padding, dilation, groups)
    "conv2d": [("x", EMPTY), ("w", EMPTY), ("bias", None), ("stride", 1), ("padding", 0), ("dilation", 1),
               ("groups", 1)],
    # conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)
    "conv_transpose2d": [("x", EMPTY), ("w", EMPTY), ("bias", None), ("stride", 1), ("padding", 0),
                         ("output_padding", 0), ("groups", 1), ("dilation", 1)],
}

# helpers utils' docstring lists as well
EXTRAS = {
    "stretch": [("y", EMPTY), ("stride", EMPTY)],
    "pad_or_crop": [("x", EMPTY), ("top", EMPTY), ("bottom", EMPTY), ("left", EMPTY), ("right", EMPTY)],
    "conv2d_backward": [("x", EMPTY), ("w", EMPTY), ("grad_output", EMPTY), ("stride", 1), ("padding", 0),
                        ("dilation", 1), ("groups", 1)],
    "conv_transpose2d_backward": [("x", EMPTY), ("w", EMPTY), ("grad_output", EMPTY), ("stride", 1),
                                  ("padding", 0), ("output_padding", 0), ("groups", 1), ("dilation", 1)],
}

# how many parameters may be passed by position; the rest are keyword-only. conv2d,
# conv_transpose2d and their gradients keep torch.nn.functional's positional order, the size
# formulas the order of the symbols in their formula (i, k, s, p, d, output_padding).
POSITIONAL = {"conv2d_loops": 2, "conv_matrix": 2, "conv_transpose2d_matrix": 2,
              "conv_transpose2d_scatter": 2, "conv_transpose2d_as_conv": 2, "im2col": 2,
              "col2im": 3, "pad_or_crop": 1}


@pytest.mark.parametrize("name", sorted({**API, **EXTRAS}))
def test_name_exists_with_the_documented_signature(name):
    assert hasattr(utils, name), f"utils.{name} is missing"
    function = getattr(utils, name)
    assert callable(function)
    parameters = list(inspect.signature(function).parameters.values())
    documented = {**API, **EXTRAS}[name]
    assert [(p.name, p.default) for p in parameters] == documented
    positional = POSITIONAL.get(name, len(parameters))
    assert [p.kind for p in parameters] == ([inspect.Parameter.POSITIONAL_OR_KEYWORD] * positional
                                            + [inspect.Parameter.KEYWORD_ONLY] * (len(parameters) - positional))


@pytest.mark.parametrize("name", sorted({**API, **EXTRAS}))
def test_every_function_has_a_docstring(name):
    doc = inspect.getdoc(getattr(utils, name))
    assert doc and len(doc.splitlines()[0]) > 20, name


def test_utils_docstring_mentions_every_public_function():
    doc = utils.__doc__
    assert doc
    missing = [name for name in {**API, **EXTRAS} if f"{name}(" not in doc]
    assert not missing, missing


def test_help_gives_the_overview_with_shapes():
    text = pydoc.render_doc(utils, renderer=pydoc.plaintext)  # what help(utils) prints
    for name in {**API, **EXTRAS}:
        assert name in text, name
    for shape in ("(N, C, H, W)", "(N, C*kH*kW, L)", "(C_out, C_in/groups, kH, kW)",
                  "(C_in, C_out/groups, kH, kW)", "(Ho*Wo, H*W)"):
        assert shape in text, shape
    for formula in ("floor((i + 2p - d(k-1) - 1) / s) + 1", "(i-1)s - 2p + d(k-1) + output_padding + 1"):
        assert formula in text, formula


def test_help_runs(capsys):
    help(utils)
    assert "conv_transpose2d" in capsys.readouterr().out


def test_import_utils_needs_no_torch_and_loads_no_plotting():
    # torch is only an oracle for the tests; utils never imports it, nor matplotlib or
    # ipywidgets until a notebook module is used
    code = ("import sys, numpy as np, utils; utils.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))); "
            "print(sorted(m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    assert out.stderr == ""


FRAMEWORK = {"conv2d", "conv_transpose2d", "conv2d_backward", "conv_transpose2d_backward"}


def test_the_teaching_core_and_the_framework_forms_hold_the_api():
    for name in {**API, **EXTRAS}:
        module = utils.framework if name in FRAMEWORK else utils.conv
        assert getattr(utils, name) is getattr(module, name), name
