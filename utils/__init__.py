"""Transposed Convolution, Step by Step: the shared code of the notebook series.

conv.py       the plain forms the notebooks teach, in their order: output sizes, the
              sliding-window loops, im2col/col2im, the convolution matrix C, and the
              transposed convolution three ways (C.T, scatter, stretch-pad-rotate-convolve)
framework.py  the batched forms with torch.nn.functional's semantics and speed: conv2d,
              conv_transpose2d and their gradients (*_backward), tested against conv.py
checks.py     argument checking: what every function accepts and refuses, the size budget
example.py    the series' running example (one input, one kernel)
draw.py, widgets.py, exercises.py   drawing, explorers and exercise feedback for all notebooks
start, sliding, matrix, transposed, sizes, networks, gradients, checkerboard, gallery
              the figures, explorers and exercise checkers of each notebook, in series order
"""

import importlib

from .conv import (
    col2im,
    conv2d_loops,
    conv_matrix,
    conv_output_size,
    conv_transpose2d_as_conv,
    conv_transpose2d_matrix,
    conv_transpose2d_scatter,
    conv_transpose_output_size,
    im2col,
    pad_or_crop,
    stretch,
)
from .framework import conv2d, conv2d_backward, conv_transpose2d, conv_transpose2d_backward

_SUBMODULES = {"draw", "widgets", "exercises", "example", "checks", "start", "sliding", "matrix",
               "transposed", "sizes", "networks", "gradients", "checkerboard", "gallery"}


def __getattr__(name):
    # TEMPORARY while the notebooks' modules are rewritten: replaced by plain imports
    if name in _SUBMODULES:
        return importlib.import_module(f"utils.{name}")
    raise AttributeError(f"module 'utils' has no attribute {name!r}")
