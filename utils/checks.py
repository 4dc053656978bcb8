"""Argument checking for every public function of utils: each error names the parameter,
the value received and what is allowed.

- arrays: NumPy arrays or rectangular nested lists of bool, int or float. TypeError for
  complex, object, str, datetime64/timedelta64, masked arrays and torch tensors (pass
  t.detach().cpu().numpy()); ValueError for a wrong number of dimensions, ragged lists and
  empty arrays (except an empty batch N = 0, as torch). Integers compute in float64; mixed
  dtypes follow NumPy's promotion (float32 with float64 gives float64; torch refuses them).
- sizes and parameters: ints (not bool, not float); stride, dilation and sizes >= 1,
  padding and output_padding >= 0, all at most MAX_SIZE.
- the size budget: no result or temporary over MAX_ENTRIES entries, no Python loop over
  MAX_LOOP_STEPS steps; the ValueError gives the shape, the memory and the parameters.
  Bad input is refused before any large array is built.
- non-finite values (inf, nan) give torch's result, except where the form itself differs:
  a bare C @ x (0 * inf = nan in C's zeros) and conv_transpose2d_as_conv with an inf or
  nan weight (it meets the inserted zeros and the padding).
"""

import math
import numbers

import numpy as np

# Sizes are capped so that index arithmetic such as r*s + a*d - p always fits in
# NumPy's int64 (2**31 * 2**31 < 2**63); no image comes near it.
MAX_SIZE = 2**31 - 1
MAX_ENTRIES = 2**27  # 134,217,728 entries: 1 GiB of float64
MAX_LOOP_STEPS = 2**20  # about a million steps: a few seconds of Python


def pair(value, name, minimum):
    """Return value as an (h, w) tuple of ints, each from minimum to MAX_SIZE."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r} "
                             f"with {len(value)} entries")
        values = tuple(value)
    else:
        values = (value, value)
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int or an (h, w) pair of ints, "
                            f"got {value!r} ({type(v).__name__})")
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
        if v > MAX_SIZE:
            raise ValueError(f"{name} must be <= {MAX_SIZE:,} (utils.checks.MAX_SIZE), got {value!r}")
    return tuple(int(v) for v in values)


def array(x, name, ndim, layout, empty_batch=False):
    """Return x as a floating array with ndim dimensions (a view, never a copy to modify).

    ndim may be a tuple of allowed ranks. Refused: torch tensors, masked arrays, ragged
    lists, and any dtype but bool, int, uint and float. Empty arrays are refused, except
    for an empty batch (axis 0) when empty_batch is true, as torch allows.
    """
    if type(x).__module__.split(".")[0] == "torch":
        raise TypeError(f"{name} must be a NumPy array, got a torch.Tensor: pass "
                        f"{name}.detach().cpu().numpy() (utils computes in NumPy)")
    if isinstance(x, np.ma.MaskedArray):  # convolution would silently use the masked values
        raise TypeError(f"{name} must be a plain NumPy array, got a masked array: fill the "
                        f"masked values first, e.g. {name}.filled(0)")
    try:
        x = np.asarray(x)
    except ValueError:  # numpy's "inhomogeneous shape" for nested lists of unequal lengths
        raise ValueError(f"{name} must be a rectangular array, got nested sequences of "
                         f"different lengths (a ragged list)") from None
    if x.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {x.dtype}")
    if x.dtype.kind not in "biuf":  # not object, str, datetime64, timedelta64, ...
        raise TypeError(f"{name} must be a numeric array (bool, int or float), got dtype {x.dtype}")
    ranks = ndim if isinstance(ndim, tuple) else (ndim,)
    if x.ndim not in ranks:
        raise ValueError(f"{name} must be {' or '.join(f'{n}-D' for n in ranks)} {layout}, "
                         f"got shape {x.shape}")
    if x.size == 0 and not (empty_batch and x.ndim == max(ranks) and 0 not in x.shape[1:]):
        allowed = " (only the batch axis N may be 0)" if empty_batch else ""
        raise ValueError(f"{name} must not be empty{allowed}, got shape {x.shape}")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def _megabytes(entries, itemsize):
    return f"{entries * itemsize / 1e6:,.1f} MB"


def check_budget(what, shape, itemsize, parameters):
    """Refuse to build an array of `shape` beyond MAX_ENTRIES; parameters: 'name=value, ...'."""
    entries = math.prod(shape)
    if entries > MAX_ENTRIES:
        raise ValueError(f"{what} would have shape {tuple(shape)}: {entries:,} entries, "
                         f"{_megabytes(entries, itemsize)}, with {parameters}; that is more than "
                         f"the size budget of {MAX_ENTRIES:,} entries (utils.checks.MAX_ENTRIES)")


def check_loop(what, steps, parameters, instead):
    """Refuse a Python loop of more than MAX_LOOP_STEPS steps."""
    if steps > MAX_LOOP_STEPS:
        raise ValueError(f"{what} would loop {steps:,} times in Python with {parameters}; that "
                         f"is more than the budget of {MAX_LOOP_STEPS:,} steps (utils.checks."
                         f"MAX_LOOP_STEPS): use {instead}, which does not loop over pixels")


def check_output_padding(output_padding, stride, dilation):
    """output_padding as an (h, w) pair, each smaller than the stride or the dilation (torch's rule)."""
    op = pair(output_padding, "output_padding", 0)
    for o, s, d in zip(op, stride, dilation):
        if o >= s and o >= d:
            raise ValueError(f"output_padding must be smaller than stride or dilation, got "
                             f"output_padding={op}, stride={stride}, dilation={dilation}")
    return op


def integer(value, name, minimum):
    """value as an int >= minimum (not a bool or a float)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum:,}, got {value!r}")
    return int(value)


def params(**values):
    """'stride=(1, 1), padding=(0, 0), ...': the parameters an error message shows."""
    return ", ".join(f"{name}={value}" for name, value in values.items())
