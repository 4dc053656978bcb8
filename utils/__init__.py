"""Transposed Convolution, Step by Step: the shared code of the notebook series.

The teaching core, utils/conv.py, in the order the notebooks teach it (01 to 04):
  conv_output_size(i, k, stride, padding, dilation)   floor((i + 2p - d(k-1) - 1) / s) + 1
  conv_transpose_output_size(i, k, stride, padding, dilation, output_padding)
                                                      (i-1)s - 2p + d(k-1) + output_padding + 1
  conv2d_loops(x, w, ...)            x: (H, W), w: (kH, kW) -> (Ho, Wo), one window at a time
  im2col(x, kernel_size, ...)        (N, C, H, W) -> (N, C*kH*kW, L), every window a column
  col2im(cols, output_size, kernel_size, ...)   (N, C*kH*kW, L) -> (N, C, H, W), overlaps added
  conv_matrix(w, input_shape, ...)   the convolution matrix C, (Ho*Wo, H*W)
  conv_transpose2d_matrix(y, w, ...)    view 1: reshape(C.T @ vec(y))
  conv_transpose2d_scatter(y, w, ...)   view 2: every input value stamps the kernel
  conv_transpose2d_as_conv(y, w, ...)   view 3: stretch, pad, rotate the kernel, convolve
  stretch(y, stride), pad_or_crop(x, top=, bottom=, left=, right=)   the steps of view 3

The framework forms, utils/framework.py: torch.nn.functional's semantics, batches, channels,
groups and speed, tested against the teaching core (05 and 06):
  conv2d(x, w, bias, stride, padding, dilation, groups)
      x: (N, C, H, W) = (N, C_in, H, W), w: (C_out, C_in/groups, kH, kW) -> (N, C_out, Ho, Wo)
  conv_transpose2d(x, w, bias, stride, padding, output_padding, groups, dilation)
      x: (N, C_in, H, W), w: (C_in, C_out/groups, kH, kW) -> (N, C_out, Ho, Wo)
  conv2d_backward(x, w, grad_output, ...), conv_transpose2d_backward(x, w, grad_output, ...)
      the gradients (grad_x, grad_w) of the two layers

checks.py checks every argument (the errors name the parameter, the value and what is allowed);
example.py holds the series' running example; draw.py, widgets.py and exercises.py draw grids,
build explorers and check exercises for every notebook. Each notebook's figures, explorers and
exercise checkers live in a module named after it, which the notebook imports itself
(`from utils import sliding`), so `import utils` alone loads neither matplotlib nor ipywidgets:
start (00), sliding (01), matrix (02), transposed (03), sizes (04), networks (05),
gradients (06), checkerboard (07), gallery (the animations).
"""

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
