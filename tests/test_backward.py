"""Gradients of conv2d and conv_transpose2d (utils.conv2d_backward, utils.conv_transpose2d_backward).

Three independent checks: central finite differences, the adjoint (dot-product)
identity <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>, and, where torch
imports, autograd on a few hundred seeded random configurations with groups,
dilation, rectangular kernels and output_padding.
"""

import numpy as np
import pytest

import utils


def random_conv_config(rng, transposed=False):
    """One random valid configuration: shapes and (h, w) parameters, small enough to be fast."""
    while True:
        G = int(rng.integers(1, 4))
        c_in, c_out = G * int(rng.integers(1, 3)), G * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, size=2))
        s = tuple(int(v) for v in rng.integers(1, 4, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        p = tuple(int(v) for v in rng.integers(0, 3, size=2))
        hw = tuple(int(v) for v in rng.integers(1, 7, size=2))
        N = int(rng.integers(1, 3))
        try:
            if transposed:
                # output_padding must be smaller than the stride or the dilation
                op = tuple(int(rng.integers(0, max(s_, d_))) for s_, d_ in zip(s, d))
                out = utils.conv_transpose_output_size(hw, k, s, p, d, op)
            else:
                op = (0, 0)
                out = utils.conv_output_size(hw, k, s, p, d)
        except ValueError:
            continue  # the kernel does not fit, or padding crops everything: draw again
        return dict(N=N, c_in=c_in, c_out=c_out, G=G, k=k, s=s, p=p, d=d, op=op, hw=hw, out=out)


def conv2d_arrays(rng, cfg):
    x = rng.standard_normal((cfg["N"], cfg["c_in"], *cfg["hw"]))
    w = rng.standard_normal((cfg["c_out"], cfg["c_in"] // cfg["G"], *cfg["k"]))
    b = rng.standard_normal(cfg["c_out"])
    g = rng.standard_normal((cfg["N"], cfg["c_out"], *cfg["out"]))
    return x, w, b, g


def transposed_arrays(rng, cfg):
    x = rng.standard_normal((cfg["N"], cfg["c_in"], *cfg["hw"]))
    w = rng.standard_normal((cfg["c_in"], cfg["c_out"] // cfg["G"], *cfg["k"]))
    b = rng.standard_normal(cfg["c_out"])
    g = rng.standard_normal((cfg["N"], cfg["c_out"], *cfg["out"]))
    return x, w, b, g


def conv2d_of(cfg):
    return lambda x, w, b: utils.conv2d(x, w, b, cfg["s"], cfg["p"], cfg["d"], cfg["G"])


def transposed_of(cfg):
    return lambda x, w, b: utils.conv_transpose2d(x, w, b, cfg["s"], cfg["p"], cfg["op"],
                                                  cfg["G"], cfg["d"])


def central_differences(f, arrays, g, eps=1e-6):
    """d<f(x, w, b), g>/d(each array), entry by entry, by central differences."""
    grads = []
    for index in range(len(arrays)):
        grad = np.zeros_like(arrays[index])
        for j in np.ndindex(arrays[index].shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[index][j] += eps
            minus[index][j] -= eps
            grad[j] = (np.sum(f(*plus) * g) - np.sum(f(*minus) * g)) / (2 * eps)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_backward_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    cfg = random_conv_config(rng)
    x, w, b, g = conv2d_arrays(rng, cfg)
    analytic = utils.conv2d_backward(x, w, g, cfg["s"], cfg["p"], cfg["d"], cfg["G"])
    numeric = central_differences(conv2d_of(cfg), [x, w, b], g)
    for name, a, n in zip(("x", "w", "bias"), analytic, numeric):
        assert a.shape == n.shape, name
        np.testing.assert_allclose(a, n, atol=1e-6, err_msg=f"grad {name}, {cfg}")


@pytest.mark.parametrize("seed", range(12))
def test_conv_transpose2d_backward_matches_finite_differences(seed):
    rng = np.random.default_rng(100 + seed)
    cfg = random_conv_config(rng, transposed=True)
    x, w, b, g = transposed_arrays(rng, cfg)
    analytic = utils.conv_transpose2d_backward(x, w, g, cfg["s"], cfg["p"], cfg["op"], cfg["G"],
                                               cfg["d"])
    numeric = central_differences(transposed_of(cfg), [x, w, b], g)
    for name, a, n in zip(("x", "w", "bias"), analytic, numeric):
        assert a.shape == n.shape, name
        np.testing.assert_allclose(a, n, atol=1e-6, err_msg=f"grad {name}, {cfg}")


def test_output_padding_at_least_stride_when_dilation_allows_it():
    # output_padding >= stride is legal when dilation is larger; the last rows then get no
    # window of their own, which is the case _weight_grad crops for
    rng = np.random.default_rng(7)
    cfg = dict(N=1, c_in=2, c_out=2, G=1, k=(2, 3), s=(1, 1), p=(0, 1), d=(3, 2), op=(2, 1),
               hw=(3, 4))
    cfg["out"] = utils.conv_transpose_output_size(cfg["hw"], cfg["k"], cfg["s"], cfg["p"],
                                                  cfg["d"], cfg["op"])
    x, w, b, g = transposed_arrays(rng, cfg)
    analytic = utils.conv_transpose2d_backward(x, w, g, cfg["s"], cfg["p"], cfg["op"], cfg["G"],
                                               cfg["d"])
    numeric = central_differences(transposed_of(cfg), [x, w, b], g)
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, atol=1e-6)


@pytest.mark.parametrize("seed", range(40))
def test_adjoint_identity(seed):
    """<C x, y> = <x, C^T y>: conv_transpose2d with the same w is the adjoint of conv2d."""
    rng = np.random.default_rng(200 + seed)
    cfg = random_conv_config(rng)
    x, w, _, y = conv2d_arrays(rng, cfg)
    # output_padding: the rows/columns at the end of x that no window reached past
    op = tuple((i + 2 * p - d * (k - 1) - 1) % s
               for i, k, s, p, d in zip(cfg["hw"], cfg["k"], cfg["s"], cfg["p"], cfg["d"]))
    Cx = utils.conv2d(x, w, None, cfg["s"], cfg["p"], cfg["d"], cfg["G"])
    CTy = utils.conv_transpose2d(y, w, None, cfg["s"], cfg["p"], op, cfg["G"], cfg["d"])
    assert CTy.shape == x.shape
    assert np.isclose(np.sum(Cx * y), np.sum(x * CTy), rtol=1e-10, atol=1e-10)
    # and the input gradient of conv2d is exactly that adjoint
    grad_x = utils.conv2d_backward(x, w, y, cfg["s"], cfg["p"], cfg["d"], cfg["G"])[0]
    np.testing.assert_allclose(grad_x, CTy, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_transposed_input_gradient_is_conv2d(seed):
    """The input gradient of a transposed convolution is an ordinary convolution (cropped)."""
    rng = np.random.default_rng(300 + seed)
    cfg = random_conv_config(rng, transposed=True)
    x, w, _, g = transposed_arrays(rng, cfg)
    grad_x = utils.conv_transpose2d_backward(x, w, g, cfg["s"], cfg["p"], cfg["op"], cfg["G"],
                                             cfg["d"])[0]
    out = utils.conv_transpose2d(x, w, None, cfg["s"], cfg["p"], cfg["op"], cfg["G"], cfg["d"])
    assert grad_x.shape == x.shape
    assert np.isclose(np.sum(out * g), np.sum(x * grad_x), rtol=1e-10, atol=1e-10)


def test_backward_rejects_a_wrong_grad_output_shape():
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match="grad_output"):
        utils.conv2d_backward(x, w, np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="grad_output"):
        utils.conv_transpose2d_backward(np.zeros((1, 3, 3, 3)), w, np.zeros((1, 2, 4, 4)))


# ---------------------------------------------------------------------------
# torch autograd (skipped when torch is not installed)
# ---------------------------------------------------------------------------

TORCH_CONFIGS = 220  # per function


@pytest.fixture
def torch_one_thread():
    """Tiny tensors: one thread is fastest and avoids contention on busy machines."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def _autograd(torch_fn, x, w, b, g):
    torch = pytest.importorskip("torch")
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b)]
    out = torch_fn(*tensors)
    out.backward(torch.tensor(g, dtype=torch.float64))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.torch
def test_conv2d_backward_matches_torch_autograd(torch_one_thread):
    torch = torch_one_thread
    F = torch.nn.functional
    rng = np.random.default_rng(2024)
    seen_groups, seen_dilation = set(), set()
    for _ in range(TORCH_CONFIGS):
        cfg = random_conv_config(rng)
        x, w, b, g = conv2d_arrays(rng, cfg)
        out, grads = _autograd(
            lambda x_, w_, b_: F.conv2d(x_, w_, b_, cfg["s"], cfg["p"], cfg["d"], cfg["G"]),
            x, w, b, g)
        np.testing.assert_allclose(conv2d_of(cfg)(x, w, b), out, atol=1e-10, err_msg=str(cfg))
        mine = utils.conv2d_backward(x, w, g, cfg["s"], cfg["p"], cfg["d"], cfg["G"])
        for name, a, t in zip(("x", "w", "bias"), mine, grads):
            np.testing.assert_allclose(a, t, atol=1e-10, err_msg=f"grad {name}, {cfg}")
        seen_groups.add(cfg["G"])
        seen_dilation.update(cfg["d"])
    assert seen_groups == {1, 2, 3} and seen_dilation == {1, 2}


@pytest.mark.torch
def test_conv_transpose2d_backward_matches_torch_autograd(torch_one_thread):
    torch = torch_one_thread
    F = torch.nn.functional
    rng = np.random.default_rng(2025)
    seen_groups, seen_dilation, big_output_padding = set(), set(), 0
    for _ in range(TORCH_CONFIGS):
        cfg = random_conv_config(rng, transposed=True)
        x, w, b, g = transposed_arrays(rng, cfg)
        out, grads = _autograd(
            lambda x_, w_, b_: F.conv_transpose2d(x_, w_, b_, cfg["s"], cfg["p"], cfg["op"],
                                                  cfg["G"], cfg["d"]),
            x, w, b, g)
        np.testing.assert_allclose(transposed_of(cfg)(x, w, b), out, atol=1e-10, err_msg=str(cfg))
        mine = utils.conv_transpose2d_backward(x, w, g, cfg["s"], cfg["p"], cfg["op"], cfg["G"],
                                               cfg["d"])
        for name, a, t in zip(("x", "w", "bias"), mine, grads):
            np.testing.assert_allclose(a, t, atol=1e-10, err_msg=f"grad {name}, {cfg}")
        seen_groups.add(cfg["G"])
        seen_dilation.update(cfg["d"])
        big_output_padding += any(o >= s for o, s in zip(cfg["op"], cfg["s"]))
    assert seen_groups == {1, 2, 3} and seen_dilation == {1, 2} and big_output_padding > 0
