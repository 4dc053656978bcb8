"""Transposed convolution is the adjoint (the transpose) of convolution.

For a linear map A and its adjoint A*, <A x, y> = <x, A* y> for every x and y.
Here A is conv2d with weight w and A* is conv_transpose2d with the same w, its
output_padding chosen so that its output has x's shape. The matrix version:
conv_matrix(...).T is the matrix of the transposed convolution, built column by
column by transposing unit images. And the gradients of both layers are checked
the same way, because each layer is linear in its input and in its weight.
"""

import numpy as np
from hypothesis import assume, event, given
from hypothesis import strategies as st

import utils

TOL = 1e-10


def inner(a, b):
    return float(np.sum(a * b))


def assert_same_inner(lhs, rhs):
    assert abs(lhs - rhs) <= TOL * max(1.0, abs(lhs)), (lhs, rhs, lhs - rhs)


def windows(i, k, s, p, d):
    """Window positions along one axis, counted."""
    return sum(1 for start in range(0, i + 2 * p, s) if start + d * (k - 1) < i + 2 * p)


@st.composite
def layers(draw, max_groups=3, max_channels=3):
    """A valid conv layer: per-axis (i, k, s, p, d) with the kernel fitting, plus channels and groups."""
    axes = []
    for _ in range(2):
        k, s, d, p = (draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)),
                      draw(st.integers(0, 3)))
        span = d * (k - 1) + 1
        i = max(1, span - 2 * p + draw(st.integers(0, 6)))
        axes.append((i, k, s, p, d))
    groups = draw(st.integers(1, max_groups))
    i, k, s, p, d = (tuple(v) for v in zip(*axes))
    return dict(i=i, k=k, s=s, p=p, d=d, groups=groups, N=draw(st.integers(1, 2)),
                Cig=draw(st.integers(1, max_channels)), Cog=draw(st.integers(1, max_channels)))


def conv_shape(L):
    return tuple(windows(*axis) for axis in zip(L["i"], L["k"], L["s"], L["p"], L["d"]))


def matching_output_padding(L):
    """The output_padding that makes conv_transpose2d return x's shape: the rows the stride skipped."""
    o = conv_shape(L)
    return tuple(i - ((o_ - 1) * s - 2 * p + d * (k - 1) + 1)
                 for i, o_, k, s, p, d in zip(L["i"], o, L["k"], L["s"], L["p"], L["d"]))


@given(layers(), st.integers(0, 2**32 - 1))
def test_conv_transpose2d_is_the_adjoint_of_conv2d(L, seed):
    rng = np.random.default_rng(seed)
    G = L["groups"]
    x = rng.standard_normal((L["N"], L["Cig"] * G, *L["i"]))
    w = rng.standard_normal((L["Cog"] * G, L["Cig"], *L["k"]))
    y = rng.standard_normal((L["N"], L["Cog"] * G, *conv_shape(L)))
    op = matching_output_padding(L)
    event(f"output_padding {'> 0' if max(op) else '= 0'}")
    event(f"groups={G}, dilation {'> 1' if max(L['d']) > 1 else '= 1'}")
    Ax = utils.conv2d(x, w, None, L["s"], L["p"], L["d"], G)
    Aty = utils.conv_transpose2d(y, w, None, L["s"], L["p"], op, G, L["d"])
    assert Ax.shape == y.shape and Aty.shape == x.shape
    assert_same_inner(inner(Ax, y), inner(x, Aty))


@st.composite
def transposed_layers(draw):
    """A transposed layer whose output_padding may reach the stride (allowed when the dilation is larger)."""
    axes = []
    for _ in range(2):
        i, k, s, d = (draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 3)),
                      draw(st.integers(1, 3)))
        op = draw(st.integers(0, max(s, d) - 1))
        p = draw(st.integers(0, min(3, ((i - 1) * s + d * (k - 1) + op) // 2)))  # keeps o >= 1
        axes.append((i, k, s, p, d, op))
    i, k, s, p, d, op = (tuple(v) for v in zip(*axes))
    out = tuple((i_ - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1
                for i_, k_, s_, p_, d_, op_ in zip(i, k, s, p, d, op))
    return dict(i=i, k=k, s=s, p=p, d=d, op=op, out=out, groups=draw(st.integers(1, 3)),
                N=draw(st.integers(1, 2)), Cig=draw(st.integers(1, 2)), Cog=draw(st.integers(1, 2)))


@given(transposed_layers(), st.integers(0, 2**32 - 1))
def test_conv2d_is_the_adjoint_of_conv_transpose2d_with_any_output_padding(T, seed):
    # with output_padding >= stride the convolution of the output has extra windows past
    # the edge, which the transposed convolution never fed: the adjoint crops them
    assume(min(T["out"]) >= 1)  # else the padding crops everything: test_errors.py checks it raises
    reaches_stride = any(o >= s for o, s in zip(T["op"], T["s"]))
    event("output_padding >= stride" if reaches_stride else "output_padding < stride")
    rng = np.random.default_rng(seed)
    G = T["groups"]
    x = rng.standard_normal((T["N"], T["Cig"] * G, *T["i"]))
    w = rng.standard_normal((T["Cig"] * G, T["Cog"], *T["k"]))
    z = rng.standard_normal((T["N"], T["Cog"] * G, *T["out"]))
    Tx = utils.conv_transpose2d(x, w, None, T["s"], T["p"], T["op"], G, T["d"])
    Tstar_z = utils.conv2d(z, w, None, T["s"], T["p"], T["d"], G)[:, :, : T["i"][0], : T["i"][1]]
    assert Tx.shape == z.shape and Tstar_z.shape == x.shape
    assert_same_inner(inner(Tx, z), inner(x, Tstar_z))


def matrix_of(linear_map, in_shape):
    """The matrix of a linear map, built column by column from its images of unit arrays."""
    n = int(np.prod(in_shape))
    columns = []
    for j in range(n):
        unit = np.zeros(n)
        unit[j] = 1.0
        columns.append(np.ravel(linear_map(unit.reshape(in_shape))))
    return np.stack(columns, axis=1)


@given(layers(max_groups=1, max_channels=1), st.integers(0, 2**32 - 1))
def test_conv_matrix_transposed_is_the_matrix_of_the_transposed_convolution(L, seed):
    w = np.random.default_rng(seed).standard_normal(L["k"])
    kw = dict(stride=L["s"], padding=L["p"], dilation=L["d"])
    op = matching_output_padding(L)
    C = utils.conv_matrix(w, L["i"], **kw)
    for transposed in (
        lambda y: utils.conv_transpose2d(y[None, None], w[None, None], output_padding=op, **kw)[0, 0],
        lambda y: utils.conv_transpose2d_scatter(y, w, output_padding=op, **kw),
        lambda y: utils.conv_transpose2d_as_conv(y, w, output_padding=op, **kw),
    ):
        np.testing.assert_allclose(matrix_of(transposed, conv_shape(L)), C.T, rtol=0, atol=1e-14)


@given(layers(max_channels=2), st.integers(0, 2**32 - 1))
def test_multichannel_conv_matrix_transposed_is_the_transposed_conv_matrix(L, seed):
    rng = np.random.default_rng(seed)
    G = L["groups"]
    w = rng.standard_normal((L["Cog"] * G, L["Cig"], *L["k"]))
    op = matching_output_padding(L)
    in_shape = (1, L["Cig"] * G, *L["i"])
    out_shape = (1, L["Cog"] * G, *conv_shape(L))
    A = matrix_of(lambda x: utils.conv2d(x, w, None, L["s"], L["p"], L["d"], G), in_shape)
    At = matrix_of(lambda y: utils.conv_transpose2d(y, w, None, L["s"], L["p"], op, G, L["d"]), out_shape)
    np.testing.assert_allclose(At, A.T, rtol=0, atol=1e-12)


def test_transposed_convolution_is_not_the_inverse():
    # C.T @ C is not the identity: transposing undoes the shape, not the values
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 3))
    C = utils.conv_matrix(w, (5, 5), stride=2, padding=1)
    assert C.shape == (9, 25)
    assert not np.allclose(C.T @ C, np.eye(25))
    x = rng.standard_normal((5, 5))
    y = utils.conv2d_loops(x, w, stride=2, padding=1)
    assert not np.allclose(utils.conv_transpose2d_matrix(y, w, stride=2, padding=1), x)


# ---------------------------------------------------------------------------
# Gradients: each layer is linear in x and in w, so directional derivatives are exact
# ---------------------------------------------------------------------------


@given(layers(), st.integers(0, 2**32 - 1))
def test_conv2d_backward_gives_exact_directional_derivatives(L, seed):
    rng = np.random.default_rng(seed)
    G = L["groups"]
    x = rng.standard_normal((L["N"], L["Cig"] * G, *L["i"]))
    w = rng.standard_normal((L["Cog"] * G, L["Cig"], *L["k"]))
    g = rng.standard_normal((L["N"], L["Cog"] * G, *conv_shape(L)))  # dLoss/dout
    s, p, d = L["s"], L["p"], L["d"]
    grad_x, grad_w, grad_bias = utils.conv2d_backward(x, w, g, s, p, d, G)
    assert grad_x.shape == x.shape and grad_w.shape == w.shape and grad_bias.shape == (w.shape[0],)
    v, u = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    # Loss = <conv2d(x, w) + bias, g>: its derivative along v is <conv2d(v, w), g>
    assert_same_inner(inner(grad_x, v), inner(utils.conv2d(v, w, None, s, p, d, G), g))
    assert_same_inner(inner(grad_w, u), inner(utils.conv2d(x, u, None, s, p, d, G), g))
    bias_direction = rng.standard_normal(w.shape[0])
    bias_image = np.broadcast_to(bias_direction[:, None, None], g.shape)
    assert_same_inner(inner(grad_bias, bias_direction), inner(bias_image, g))


@given(transposed_layers(), st.integers(0, 2**32 - 1))
def test_conv_transpose2d_backward_gives_exact_directional_derivatives(T, seed):
    assume(min(T["out"]) >= 1)
    rng = np.random.default_rng(seed)
    G = T["groups"]
    x = rng.standard_normal((T["N"], T["Cig"] * G, *T["i"]))
    w = rng.standard_normal((T["Cig"] * G, T["Cog"], *T["k"]))
    g = rng.standard_normal((T["N"], T["Cog"] * G, *T["out"]))
    s, p, op, d = T["s"], T["p"], T["op"], T["d"]
    grad_x, grad_w, grad_bias = utils.conv_transpose2d_backward(x, w, g, s, p, op, G, d)
    assert grad_x.shape == x.shape and grad_w.shape == w.shape and grad_bias.shape == (g.shape[1],)
    v, u = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    assert_same_inner(inner(grad_x, v), inner(utils.conv_transpose2d(v, w, None, s, p, op, G, d), g))
    assert_same_inner(inner(grad_w, u), inner(utils.conv_transpose2d(x, u, None, s, p, op, G, d), g))
    np.testing.assert_allclose(grad_bias, g.sum(axis=(0, 2, 3)), rtol=1e-12)
