"""Transposed Convolution, Step by Step: the shared code of the notebook series.

Arithmetic (ints or (h, w) pairs):
    conv_output_size(i, k, stride, padding, dilation)
        o = floor((i + 2p - d(k-1) - 1) / s) + 1
    conv_transpose_output_size(i, k, stride, padding, dilation, output_padding)
        o = (i-1)s - 2p + d(k-1) + output_padding + 1

Teaching forms, one channel: x, y are (H, W) and w is (kH, kW); the parameters
after * are keyword-only, so that none can be swapped silently:
    conv2d_loops(x, w, *, stride, padding, dilation)   the sliding window, in Python loops
    conv_matrix(w, input_shape, *, ...)   C, (Ho*Wo, H*W): conv == C @ x.ravel()
    conv_transpose2d_matrix(y, w, *, stride, padding, output_padding, dilation)
                                          reshape(C.T @ y.ravel())
    conv_transpose2d_scatter(y, w, *, ...)   each y value stamps a scaled kernel
    conv_transpose2d_as_conv(y, w, *, ...)   insert zeros, pad, rotate w 180°, convolve
    stretch(y, stride), pad_or_crop(x, *, top, bottom, left, right)   its two steps

Framework forms, batched, with torch.nn.functional's semantics (also unbatched
(C, H, W) input and an empty batch, as torch):
    im2col(x, kernel_size, *, stride, padding, dilation)   (N, C, H, W) -> (N, C*kH*kW, L)
        like unfold, whose positional order (dilation, padding, stride) differs: by name only
    col2im(cols, output_size, kernel_size, *, ...)   its adjoint             (fold)
    conv2d(x, w, bias, stride, padding, dilation, groups)   torch's positional order
        x (N, C_in, H, W), w (C_out, C_in/groups, kH, kW) -> (N, C_out, Ho, Wo);
        padding may also be 'same' or 'valid'
    conv_transpose2d(x, w, bias, stride, padding, output_padding, groups, dilation)
        x (N, C_in, H, W), w (C_in, C_out/groups, kH, kW) -> (N, C_out, Ho, Wo)
    conv2d_backward(x, w, grad_output, ...)            -> (grad_x, grad_w, grad_bias)
    conv_transpose2d_backward(x, w, grad_output, ...)  -> (grad_x, grad_w, grad_bias)
    (their speed tricks, each with what it buys, are in utils/fast.py)

Bad input gets a ValueError or TypeError that names the parameter, the value and
what is allowed; nothing builds more than utils.conv.MAX_ENTRIES entries (see
utils/conv.py for what each function accepts and refuses).

Modules for the notebooks (imported on first use, e.g. utils.sliding):
    draw        colours and grid drawing shared by every figure
    widgets     wires ipywidgets sliders to pure render_* functions
    exercises   feedback for the exercises
    figures     `python -m tools.figures` regenerates figures/
    start, sliding, matrix, transposed, networks, checkerboard, gallery
                figures, explorers and exercise checkers of each notebook
"""

import importlib

from .conv import (
    col2im,
    conv2d,
    conv2d_backward,
    conv2d_loops,
    conv_matrix,
    conv_output_size,
    conv_transpose2d,
    conv_transpose2d_as_conv,
    conv_transpose2d_backward,
    conv_transpose2d_matrix,
    conv_transpose2d_scatter,
    conv_transpose_output_size,
    im2col,
    pad_or_crop,
    stretch,
)

_SUBMODULES = {"draw", "widgets", "exercises", "figures", "notebooks", "start", "sliding",
               "matrix", "transposed", "networks", "checkerboard", "gallery"}


def __getattr__(name):
    # `utils.sliding` works after a plain `import utils`, without importing
    # matplotlib or ipywidgets until a notebook needs them
    if name in _SUBMODULES:
        return importlib.import_module(f"utils.{name}")
    raise AttributeError(f"module 'utils' has no attribute {name!r}")
