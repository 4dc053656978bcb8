"""utils/framework.py's speed tricks, through conv2d and conv_transpose2d, against the teaching forms.

Every way framework.conv2d picks (depthwise multiply-adds, stride-1 shifted columns, strided
im2col) and the depthwise transposed convolution, on small layers with groups, depthwise
multipliers, strides, dilations, odd and non-square sizes, N = 1, float32 and float64.
The reference is built from the one-channel teaching forms (conv2d_loops and
conv_transpose2d_scatter) summed over each group's channels, and torch where installed.
Block sizes are also forced small, so that every block boundary is crossed.
"""

import numpy as np
import pytest

import utils
from utils import framework

# name: (N, C_in, C_out, groups, (H, W), (kH, kW), stride, padding, dilation)
CONV_CASES = {
    "dense stride 1": (2, 3, 4, 1, (7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    "grouped stride 1, dilated": (1, 4, 6, 2, (9, 8), (3, 2), (1, 1), (2, 0), (2, 3)),
    "depthwise 3x3": (2, 5, 5, 5, (6, 7), (3, 3), (1, 1), (1, 1), (1, 1)),
    "depthwise, multiplier 2": (1, 3, 6, 3, (5, 5), (2, 3), (1, 1), (0, 1), (1, 1)),
    "depthwise strided, dilated": (2, 4, 4, 4, (11, 9), (3, 3), (2, 3), (1, 2), (2, 1)),
    "dense strided": (2, 3, 5, 1, (9, 10), (4, 4), (2, 2), (1, 1), (1, 1)),
    "grouped strided, odd": (1, 6, 3, 3, (7, 5), (3, 1), (3, 2), (0, 1), (1, 2)),
    "1x1 kernel": (3, 2, 3, 1, (4, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
    "kernel as large as the padded input": (1, 2, 2, 2, (3, 4), (5, 6), (1, 1), (1, 1), (1, 1)),
    "mostly unread padding, depthwise": (1, 2, 2, 2, (2, 3), (3, 3), (5, 4), (6, 5), (1, 1)),
    "mostly unread padding, dilated": (2, 2, 3, 1, (2, 2), (2, 2), (1, 1), (7, 7), (9, 9)),
}

# name: (N, C_in, C_out/groups, (H, W), (kH, kW), stride, padding, output_padding, dilation);
# the depthwise transposed convolution: groups = C_in
TRANSPOSED_CASES = {
    "decoder k=4, s=2": (2, 4, 1, (5, 6), (4, 4), (2, 2), (1, 1), (0, 0), (1, 1)),
    "multiplier 2, odd stride": (1, 3, 2, (4, 3), (3, 2), (3, 2), (0, 1), (1, 1), (1, 1)),
    "dilated, output_padding >= stride": (2, 2, 1, (3, 4), (3, 3), (2, 2), (1, 0), (2, 1), (3, 2)),
    "padding crops most of it": (1, 3, 1, (6, 5), (2, 3), (2, 3), (2, 3), (0, 0), (1, 1)),
    "stride larger than the kernel": (1, 2, 1, (3, 3), (2, 2), (4, 3), (0, 0), (0, 0), (1, 1)),
}


def conv_reference(x, w, stride, padding, dilation, groups):
    """conv2d from conv2d_loops, one (output channel, input channel) pair at a time."""
    N, C_in = x.shape[:2]
    C_out, C_per_group = w.shape[:2]
    rows = [[sum(utils.conv2d_loops(x[n, co // (C_out // groups) * C_per_group + c], w[co, c],
                                    stride=stride, padding=padding, dilation=dilation)
                 for c in range(C_per_group))
             for co in range(C_out)] for n in range(N)]
    return np.array(rows)


def transposed_reference(x, w, stride, padding, output_padding, dilation):
    """Depthwise conv_transpose2d from conv_transpose2d_scatter, one channel pair at a time."""
    N, C_in = x.shape[:2]
    multiplier = w.shape[1]
    rows = [[utils.conv_transpose2d_scatter(x[n, c], w[c, j], stride=stride, padding=padding,
                                            output_padding=output_padding, dilation=dilation)
             for c in range(C_in) for j in range(multiplier)] for n in range(N)]
    return np.array(rows)


@pytest.fixture(params=[2**18, 64], ids=["default blocks", "tiny blocks"])
def small_blocks(request, monkeypatch):
    """Default and tiny blocks, so that every loop also runs several blocks."""
    monkeypatch.setattr(framework, "BLOCK_ENTRIES", request.param)
    monkeypatch.setattr(framework, "COLUMNS_PER_PRODUCT", 8 if request.param == 64 else 4096)
    return request.param


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", CONV_CASES)
def test_conv2d_matches_the_sliding_window(name, dtype, small_blocks):
    N, C_in, C_out, G, i, k, s, p, d = CONV_CASES[name]
    rng = np.random.default_rng(len(name))
    x = rng.standard_normal((N, C_in, *i)).astype(dtype)
    w = rng.standard_normal((C_out, C_in // G, *k)).astype(dtype)
    out = framework.conv2d(x, w, None, s, p, d, G)
    expected = conv_reference(x.astype(np.float64), w.astype(np.float64), s, p, d, G)
    assert out.dtype == dtype and out.shape == expected.shape
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", TRANSPOSED_CASES)
def test_depthwise_transposed_matches_the_scatter(name, dtype, small_blocks):
    N, C_in, multiplier, i, k, s, p, op, d = TRANSPOSED_CASES[name]
    rng = np.random.default_rng(len(name))
    x = rng.standard_normal((N, C_in, *i)).astype(dtype)
    w = rng.standard_normal((C_in, multiplier, *k)).astype(dtype)
    expected = transposed_reference(x.astype(np.float64), w.astype(np.float64), s, p, op, d)
    out = framework.conv_transpose2d(x, w, None, s, p, op, C_in, d)
    assert out.dtype == dtype and out.shape == expected.shape
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)


def test_block_sizes_do_not_change_the_result(monkeypatch):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 6, 9, 8)), rng.standard_normal((6, 1, 3, 3))
    results = []
    for block in (2**18, 2**10, 40, 1):
        monkeypatch.setattr(framework, "BLOCK_ENTRIES", block)
        results.append((framework.conv2d(x, w, None, 1, 1, 1, 6),
                        framework.conv_transpose2d(x, w, None, 2, 1, 0, 6, 1)))
    for conv, transposed in results[1:]:
        assert np.array_equal(conv, results[0][0])  # each output is summed in the same order
        assert np.array_equal(transposed, results[0][1])


def test_an_empty_batch_gives_an_empty_output():
    x = np.zeros((0, 4, 5, 5))
    assert framework.conv2d(x, np.ones((4, 1, 3, 3)), None, 1, 0, 1, 4).shape == (0, 4, 3, 3)
    assert framework.conv2d(x, np.ones((2, 4, 3, 3)), None, 2, 0, 1, 1).shape == (0, 2, 2, 2)
    out = framework.conv_transpose2d(x, np.ones((4, 2, 3, 3)), None, 2, 0, 0, 4, 1)
    assert out.shape == (0, 8, 11, 11)


def test_the_public_functions_use_the_fast_paths_and_agree_with_torch():
    torch = pytest.importorskip("torch", reason="the PyTorch oracle needs torch")
    F = torch.nn.functional
    rng = np.random.default_rng(2)
    for groups, C_in, C_out, stride in ((8, 8, 8, 1), (8, 8, 16, 2), (2, 8, 6, 1), (1, 4, 6, 2)):
        x = rng.standard_normal((1, C_in, 11, 10)).astype(np.float32)
        w = rng.standard_normal((C_out, C_in // groups, 3, 3)).astype(np.float32)
        b = rng.standard_normal(C_out).astype(np.float32)
        expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                            stride, 1, 1, groups).numpy()
        np.testing.assert_allclose(utils.conv2d(x, w, b, stride, 1, 1, groups), expected,
                                   rtol=1e-4, atol=1e-4)
        wt = rng.standard_normal((C_in, C_out // groups, 4, 4)).astype(np.float32)
        bt = rng.standard_normal(C_out).astype(np.float32)
        expected = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(bt),
                                      stride, 1, stride - 1, groups).numpy()
        np.testing.assert_allclose(utils.conv_transpose2d(x, wt, bt, stride, 1, stride - 1, groups),
                                   expected, rtol=1e-4, atol=1e-4)
