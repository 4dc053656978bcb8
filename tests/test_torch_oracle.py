"""PyTorch as an oracle: conv2d, conv_transpose2d, im2col and col2im against torch.nn.functional.

Each test draws its configurations from a seeded NumPy generator (batch, channels,
groups, bias, non-square kernels and inputs, per-axis stride, padding, dilation and
output_padding, including output_padding >= stride when the dilation is larger),
so a failure names its block and configuration and reproduces exactly.
Skipped, with the reason, where torch is not installed.
"""

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="the PyTorch oracle tests need torch (CPU build: pip install torch)")
F = torch.nn.functional
# the configurations are tiny: one thread is faster than waking a pool for each call,
# and does not fight the other pytest-xdist worker for the runner's cores
torch.set_num_threads(1)

pytestmark = pytest.mark.torch

BLOCKS = 12  # test blocks per function
PER_BLOCK = 50  # configurations per block: 600 per function in float64
RTOL = ATOL = 1e-10  # float64
RTOL32 = ATOL32 = 1e-4  # float32: sums of up to a few hundred float32 products

import utils  # noqa: E402  (after the skip, so a missing torch skips before anything runs)


def draw_axis(rng, transposed):
    """(i, k, s, p, d, output_padding) along one axis, always a valid configuration."""
    k, s, d = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    if transposed:
        i = int(rng.integers(1, 6))
        op = int(rng.integers(0, max(s, d)))  # < s, or >= s when the dilation allows it
        p = int(rng.integers(0, min(3, ((i - 1) * s + d * (k - 1) + op) // 2) + 1))
    else:
        op = 0
        p = int(rng.integers(0, 4))
        span = d * (k - 1) + 1
        i = max(1, span - 2 * p + int(rng.integers(0, 7)))
    return i, k, s, p, d, op


def draw_config(rng, transposed=False):
    (i, k, s, p, d, op) = (tuple(v) for v in zip(draw_axis(rng, transposed), draw_axis(rng, transposed)))
    groups = int(rng.integers(1, 4))
    return dict(N=int(rng.integers(1, 3)), groups=groups, C_in=groups * int(rng.integers(1, 4)),
                C_out=groups * int(rng.integers(1, 4)), i=i, k=k, stride=s, padding=p, dilation=d,
                output_padding=op, bias=bool(rng.integers(0, 2)))


def conv_arrays(rng, c, dtype=np.float64):
    x = rng.standard_normal((c["N"], c["C_in"], *c["i"])).astype(dtype)
    w = rng.standard_normal((c["C_out"], c["C_in"] // c["groups"], *c["k"])).astype(dtype)
    b = rng.standard_normal(c["C_out"]).astype(dtype) if c["bias"] else None
    return x, w, b


def transposed_arrays(rng, c, dtype=np.float64):
    x = rng.standard_normal((c["N"], c["C_in"], *c["i"])).astype(dtype)
    w = rng.standard_normal((c["C_in"], c["C_out"] // c["groups"], *c["k"])).astype(dtype)
    b = rng.standard_normal(c["C_out"]).astype(dtype) if c["bias"] else None
    return x, w, b


def t(a):
    return None if a is None else torch.from_numpy(a)


def check(ours, theirs, config, rtol=RTOL, atol=ATOL):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, config
    assert ours.dtype == theirs.dtype, config
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=str(config))


def configs(block, transposed=False):
    rng = np.random.default_rng([block, transposed])
    for _ in range(PER_BLOCK):
        yield rng, draw_config(rng, transposed)


@pytest.mark.parametrize("block", range(BLOCKS))
def test_conv2d_matches_torch(block):
    for rng, c in configs(block):
        x, w, b = conv_arrays(rng, c)
        ours = utils.conv2d(x, w, b, c["stride"], c["padding"], c["dilation"], c["groups"])
        theirs = F.conv2d(t(x), t(w), t(b), c["stride"], c["padding"], c["dilation"], c["groups"])
        check(ours, theirs, c)


@pytest.mark.parametrize("block", range(BLOCKS))
def test_conv_transpose2d_matches_torch(block):
    for rng, c in configs(block, transposed=True):
        x, w, b = transposed_arrays(rng, c)
        ours = utils.conv_transpose2d(x, w, b, c["stride"], c["padding"], c["output_padding"], c["groups"],
                                      c["dilation"])
        theirs = F.conv_transpose2d(t(x), t(w), t(b), c["stride"], c["padding"], c["output_padding"],
                                    c["groups"], c["dilation"])
        check(ours, theirs, c)


@pytest.mark.parametrize("block", range(BLOCKS))
def test_im2col_matches_unfold(block):
    for rng, c in configs(block):
        x = rng.standard_normal((c["N"], c["C_in"], *c["i"]))
        ours = utils.im2col(x, c["k"], stride=c["stride"], padding=c["padding"], dilation=c["dilation"])
        theirs = F.unfold(t(x), c["k"], dilation=c["dilation"], padding=c["padding"], stride=c["stride"])
        check(ours, theirs, c)


@pytest.mark.parametrize("block", range(BLOCKS))
def test_col2im_matches_fold(block):
    for rng, c in configs(block):
        (kh, kw), out_hw = c["k"], c["i"]
        L = int(np.prod(utils.conv_output_size(out_hw, c["k"], c["stride"], c["padding"], c["dilation"])))
        cols = rng.standard_normal((c["N"], c["C_in"] * kh * kw, L))
        ours = utils.col2im(cols, out_hw, c["k"], stride=c["stride"], padding=c["padding"], dilation=c["dilation"])
        theirs = F.fold(t(cols), out_hw, c["k"], dilation=c["dilation"], padding=c["padding"],
                        stride=c["stride"])
        check(ours, theirs, c)


def test_the_configurations_cover_the_interesting_cases():
    seen = {"groups > 1": 0, "non-square kernel": 0, "dilation > 1": 0, "stride > 1": 0,
            "output_padding >= stride": 0, "output_padding > 0": 0, "batch > 1": 0, "bias": 0}
    for block in range(BLOCKS):
        for transposed in (False, True):
            for _, c in configs(block, transposed):
                seen["groups > 1"] += c["groups"] > 1
                seen["non-square kernel"] += c["k"][0] != c["k"][1]
                seen["dilation > 1"] += max(c["dilation"]) > 1
                seen["stride > 1"] += max(c["stride"]) > 1
                seen["output_padding > 0"] += max(c["output_padding"]) > 0
                seen["output_padding >= stride"] += any(
                    op >= s for op, s in zip(c["output_padding"], c["stride"]) if op > 0)
                seen["batch > 1"] += c["N"] > 1
                seen["bias"] += c["bias"]
    assert min(seen.values()) >= 30, seen


# ---------------------------------------------------------------------------
# float32 in, float32 out, close to torch's float32
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("block", range(3))
def test_float32_matches_torch_float32(block):
    for rng, c in configs(100 + block):
        x, w, b = conv_arrays(rng, c, np.float32)
        check(utils.conv2d(x, w, b, c["stride"], c["padding"], c["dilation"], c["groups"]),
              F.conv2d(t(x), t(w), t(b), c["stride"], c["padding"], c["dilation"], c["groups"]),
              c, RTOL32, ATOL32)
        cols = utils.im2col(x, c["k"], stride=c["stride"], padding=c["padding"], dilation=c["dilation"])
        check(cols, F.unfold(t(x), c["k"], c["dilation"], c["padding"], c["stride"]), c, RTOL32, ATOL32)
        check(utils.col2im(cols, c["i"], c["k"], stride=c["stride"], padding=c["padding"], dilation=c["dilation"]),
              F.fold(t(cols), c["i"], c["k"], c["dilation"], c["padding"], c["stride"]), c, RTOL32, ATOL32)
    for rng, c in configs(100 + block, transposed=True):
        x, w, b = transposed_arrays(rng, c, np.float32)
        check(utils.conv_transpose2d(x, w, b, c["stride"], c["padding"], c["output_padding"], c["groups"],
                                     c["dilation"]),
              F.conv_transpose2d(t(x), t(w), t(b), c["stride"], c["padding"], c["output_padding"],
                                 c["groups"], c["dilation"]),
              c, RTOL32, ATOL32)


# ---------------------------------------------------------------------------
# Gradients against autograd
# ---------------------------------------------------------------------------


def autograd(layer, x, w, b, grad_output):
    x, w = t(x).requires_grad_(), t(w).requires_grad_()
    b = t(b).requires_grad_()
    layer(x, w, b).backward(t(grad_output))
    return x.grad, w.grad, b.grad


@pytest.mark.parametrize("block", range(4))
def test_conv2d_backward_matches_autograd(block):
    for rng, c in configs(200 + block):
        x, w, _ = conv_arrays(rng, c)
        b = np.zeros(c["C_out"])
        kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=c["groups"])
        out_hw = utils.conv_output_size(c["i"], c["k"], c["stride"], c["padding"], c["dilation"])
        g = rng.standard_normal((c["N"], c["C_out"], *out_hw))
        ours = utils.conv2d_backward(x, w, g, **kw)
        theirs = autograd(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, b, g)
        for a, e in zip(ours, theirs):
            check(a, e, c)


@pytest.mark.parametrize("block", range(4))
def test_conv_transpose2d_backward_matches_autograd(block):
    for rng, c in configs(200 + block, transposed=True):
        x, w, _ = transposed_arrays(rng, c)
        b = np.zeros(c["C_out"])
        kw = dict(stride=c["stride"], padding=c["padding"], output_padding=c["output_padding"],
                  groups=c["groups"], dilation=c["dilation"])
        out_hw = utils.conv_transpose_output_size(c["i"], c["k"], c["stride"], c["padding"], c["dilation"],
                                                  c["output_padding"])
        g = rng.standard_normal((c["N"], c["C_out"], *out_hw))
        ours = utils.conv_transpose2d_backward(x, w, g, **kw)
        theirs = autograd(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), x, w, b, g)
        for a, e in zip(ours, theirs):
            check(a, e, c)


# ---------------------------------------------------------------------------
# Both refuse the same configurations
# ---------------------------------------------------------------------------


def test_utils_and_torch_refuse_the_same_transposed_configurations():
    rng = np.random.default_rng(7)
    refused = accepted = 0
    for _ in range(400):
        s, d = tuple(rng.integers(1, 4, 2).tolist()), tuple(rng.integers(1, 4, 2).tolist())
        p, op = tuple(rng.integers(0, 4, 2).tolist()), tuple(rng.integers(0, 4, 2).tolist())
        i, k = tuple(rng.integers(1, 5, 2).tolist()), tuple(rng.integers(1, 5, 2).tolist())
        x, w = rng.standard_normal((1, 1, *i)), rng.standard_normal((1, 1, *k))
        try:
            F.conv_transpose2d(t(x), t(w), None, s, p, op, 1, d)
            torch_ok = True
        except RuntimeError:
            torch_ok = False
        try:
            utils.conv_transpose2d(x, w, None, s, p, op, 1, d)
            ours_ok = True
        except ValueError:
            ours_ok = False
        assert ours_ok == torch_ok, dict(i=i, k=k, s=s, p=p, d=d, op=op, torch_ok=torch_ok)
        refused += not ours_ok
        accepted += ours_ok
    assert refused > 50 and accepted > 50


def test_utils_and_torch_refuse_the_same_convolutions():
    rng = np.random.default_rng(8)
    refused = accepted = 0
    for _ in range(400):
        s, d = tuple(rng.integers(1, 4, 2).tolist()), tuple(rng.integers(1, 4, 2).tolist())
        p = tuple(rng.integers(0, 3, 2).tolist())
        i, k = tuple(rng.integers(1, 6, 2).tolist()), tuple(rng.integers(1, 5, 2).tolist())
        x, w = rng.standard_normal((1, 1, *i)), rng.standard_normal((1, 1, *k))
        try:
            F.conv2d(t(x), t(w), None, s, p, d)
            torch_ok = True
        except RuntimeError:
            torch_ok = False
        try:
            utils.conv2d(x, w, None, s, p, d)
            ours_ok = True
        except ValueError:
            ours_ok = False
        assert ours_ok == torch_ok, dict(i=i, k=k, s=s, p=p, d=d, torch_ok=torch_ok)
        refused += not ours_ok
        accepted += ours_ok
    assert refused > 50 and accepted > 50
