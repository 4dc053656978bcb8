"""Benchmark the series: our NumPy convolutions against PyTorch, the teaching ladder,
the explorers' render times and the notebook suite. Prints Markdown; always exits 0.

    python benchmarks/run.py                     the full run (the README's Performance table)
    python benchmarks/run.py --smoke             tiny sizes, few repetitions, a few seconds (CI)
    python benchmarks/run.py --only layers,scaling
    python benchmarks/run.py --threads 1

Sections: layers (utils.conv2d / conv_transpose2d against torch.nn.functional on
realistic layers, float32), scaling (the same at two or three sizes), ladder (loops
vs im2col vs dense C vs conv2d on small inputs), widgets (every explorer's render
function, from call to PNG), browser (the latency a learner sees in JupyterLab: key
press on a slider -> new picture shown; benchmarks/browser.py), notebooks (the whole
suite under strict nbval).

Times are wall-clock medians over repeated calls after a warm-up. NumPy's BLAS and
torch run on the same number of threads (--threads, default: every core). Our calls
and torch's alternate in rounds, so background load slows both alike; still, when
every core has a thread, any other busy process makes the timings erratic (the header
prints the load average): measure on an otherwise idle machine. The speed targets
(layers against torch, explorers' render times) are reported, never asserted. To measure as on a learner's machine, run it with the
OpenBLAS workaround variables unset:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py
"""

import argparse
import importlib
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("layers", "scaling", "ladder", "widgets", "browser", "notebooks")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes and few repetitions, no notebooks: a few seconds")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run, from: {', '.join(SECTIONS)}")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for NumPy's BLAS and for torch (default: every core)")
    args = parser.parse_args()
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    return args


ARGS = parse_args()
# Pin the thread pools before NumPy and torch start them (threadpoolctl, below, also
# limits them at run time where it is installed).
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)
# Measure this checkout's utils, wherever the command is run from.
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import utils  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None

# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

REPEAT, WARMUP = (3, 1) if ARGS.smoke else (25, 3)


def times(fn, repeat=REPEAT, warmup=WARMUP):
    """Wall times in seconds of `repeat` calls of fn() after `warmup` calls."""
    for _ in range(warmup):
        fn()
    result = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        result.append(time.perf_counter() - start)
    return np.array(result)


# Seconds to wait before timing the other library: OpenBLAS's idle threads keep
# spinning for about 0.1 s after a product (measured: torch's next call ran 2x slower),
# so without a pause each library would be timed while the other still holds the cores.
SETTLE = 0.01 if ARGS.smoke else 0.25


def median_pair(ours, theirs, repeat=REPEAT, warmup=WARMUP, rounds=4):
    """Median wall times of ours() and theirs(), measured in alternating rounds.

    Each round times a few calls of one, then of the other, each after a pause and
    a warm-up call, so background load hits both alike and neither is timed while
    the other's thread pool still spins.
    """
    rounds = max(1, min(rounds, repeat))
    a, b = [], []
    for r in range(rounds):
        calls = repeat // rounds + (r < repeat % rounds)
        for fn, samples in ((ours, a), (theirs, b)):
            time.sleep(SETTLE)
            samples.extend(times(fn, calls, warmup if r == 0 else 1))
    return float(np.median(a)), float(np.median(b))


def ms(seconds):
    return f"{seconds * 1e3:.2f}" if seconds < 0.1 else f"{seconds * 1e3:.0f}"


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
    print()


def verdict(ok):
    return "met" if ok else "**missed**"


# ---------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------


def environment():
    print("# Benchmark: transposed convolution, step by step\n")
    print(f"- command: `{' '.join([Path(sys.executable).name, *sys.argv])}`"
          f"{' (smoke run: tiny sizes, no thresholds)' if ARGS.smoke else ''}")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}, "
          f"Python {platform.python_version()}")
    blas = "unknown (pip install threadpoolctl to see it)"
    if threadpool_info is not None:
        threadpool_limits(ARGS.threads)
        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"
                 and "numpy" in i.get("filepath", "")] or \
                [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            i = infos[0]
            blas = (f"{i.get('internal_api')} {i.get('version')}, kernel "
                    f"{i.get('architecture', '?')}, {i.get('num_threads')} threads")
    print(f"- NumPy {np.__version__}, BLAS: {blas}")
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        value = os.environ.get(variable)
        print(f"- {variable}: {'unset' if value is None else value}")
    if torch is None:
        print("- torch: not installed, so the layer tables show our times only")
    else:
        torch.set_num_threads(ARGS.threads)
        print(f"- torch {torch.__version__}, {torch.get_num_threads()} threads")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()
        warning = (" (**busy: other processes distort multi-threaded timings; compare with "
                   "`--threads 1`**)" if load[0] > 0.5 and ARGS.threads > 1 else "")
        print(f"- load average at the start (1, 5, 15 min): "
              f"{', '.join(f'{v:.1f}' for v in load)}{warning}")
    print(f"- timing: median of {REPEAT} calls after {WARMUP} warm-up call(s); ours and "
          f"torch's calls alternate in rounds, with a {SETTLE} s pause between the two\n")


# ---------------------------------------------------------------------------
# Layers: utils.conv2d and utils.conv_transpose2d against torch, float32
# ---------------------------------------------------------------------------

# One layer is one transposed convolution, x (N, C_in, H, H) -> (N, C_out, Ho, Ho),
# with kernel k, stride s, padding p, output_padding op and groups g. conv2d is timed
# on the same layer run the other way, (N, C_out, Ho, Ho) -> (N, C_in, H, H), with the
# same weight array (the two are adjoint), as an encoder or a discriminator would use it.
LAYERS = [
    # name                                          N  C_in C_out H   k  s  p op  g
    ("DCGAN generator 1: 512→256, 4→8", 16, 512, 256, 4, 4, 2, 1, 0, 1),
    ("DCGAN generator 2: 256→128, 8→16", 16, 256, 128, 8, 4, 2, 1, 0, 1),
    ("DCGAN generator 3: 128→64, 16→32", 16, 128, 64, 16, 4, 2, 1, 0, 1),
    ("DCGAN generator 4: 64→3, 32→64", 16, 64, 3, 32, 4, 2, 1, 0, 1),
    ("U-Net decoder step: 128→64, 32→64, k=2", 8, 128, 64, 32, 2, 2, 0, 0, 1),
    ("3×3 stride 1: 64→64, 56×56", 8, 64, 64, 56, 3, 1, 1, 0, 1),
    ("strided 3×3: 128→64, 28→56 (conv2d: 56→28)", 8, 128, 64, 28, 3, 2, 1, 1, 1),
    ("grouped 3×3: 128→128, 28×28, groups=4", 8, 128, 128, 28, 3, 1, 1, 0, 4),
    ("grouped decoder: 128→128, 16→32, groups=8", 8, 128, 128, 16, 4, 2, 1, 0, 8),
    ("depthwise 3×3: 64 channels, 56×56", 8, 64, 64, 56, 3, 1, 1, 0, 64),
    ("depthwise decoder: 96 channels, 24→48", 8, 96, 96, 24, 4, 2, 1, 0, 96),
]


def smoke_layer(layer):
    """The same layer, tiny: batch 2, a quarter of the channels (at least the groups)."""
    name, N, c_in, c_out, H, k, s, p, op, g = layer
    c_in, c_out = (max(g, c // 4 // g * g) if c > 3 else c for c in (c_in, c_out))
    return name, 2, c_in, c_out, max(2, H // 4), k, s, p, op, g


def is_depthwise(layer):
    """One channel per group both ways: torch runs its dedicated depthwise kernel."""
    _, _, c_in, c_out, _, _, _, _, _, g = layer
    return c_in == c_out == g


def time_layer(N, c_in, c_out, H, k, s, p, g, rng, op=0):
    """Median seconds: (conv2d ours, torch, conv_transpose2d ours, torch); torch None without it."""
    x = rng.standard_normal((N, c_in, H, H), dtype=np.float32)
    w = rng.standard_normal((c_in, c_out // g, k, k), dtype=np.float32)
    y = np.ascontiguousarray(utils.conv_transpose2d(x, w, None, s, p, op, g))
    if torch is None:
        conv = times(lambda: utils.conv2d(y, w, None, s, p, 1, g))
        transposed = times(lambda: utils.conv_transpose2d(x, w, None, s, p, op, g))
        return float(np.median(conv)), None, float(np.median(transposed)), None
    tx, tw, ty = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(y)
    with torch.no_grad():
        conv = median_pair(lambda: utils.conv2d(y, w, None, s, p, 1, g),
                           lambda: F.conv2d(ty, tw, None, s, p, 1, g))
        transposed = median_pair(lambda: utils.conv_transpose2d(x, w, None, s, p, op, g),
                                 lambda: F.conv_transpose2d(tx, tw, None, s, p, op, g))
    return (*conv, *transposed)


def ratio(ours, theirs):
    return None if theirs is None else ours / theirs


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}"


def section_layers():
    print("## Layers: `utils` against `torch.nn.functional` (float32, times in ms)\n")
    print("Each row is one layer: `conv_transpose2d` maps the small side to the large one, "
          "`conv2d` the large side back, with the same weights.\n")
    rng = np.random.default_rng(0)
    rows, conv_ratios, transposed_ratios = [], [], []
    for layer in LAYERS:
        name, N, c_in, c_out, H, k, s, p, op, g = smoke_layer(layer) if ARGS.smoke else layer
        c2, c2_torch, ct, ct_torch = time_layer(N, c_in, c_out, H, k, s, p, g, rng, op)
        r2, rt = ratio(c2, c2_torch), ratio(ct, ct_torch)
        conv_ratios.append(r2)
        transposed_ratios.append(rt)
        shape = (f"N={N}, k={k}, s={s}, p={p}" + (f", output_padding={op}" if op else "")
                 + (f", groups={g}" if g > 1 else ""))
        rows.append([name, shape, ms(c2), "n/a" if c2_torch is None else ms(c2_torch),
                     fmt_ratio(r2), ms(ct), "n/a" if ct_torch is None else ms(ct_torch),
                     fmt_ratio(rt)])
    table(["layer", "shape", "conv2d ours", "torch", "ours/torch", "conv_transpose2d ours",
           "torch", "ours/torch"], rows)
    if torch is None:
        print("torch is not installed: no ratios.\n")
        return
    names = [layer[0] for layer in LAYERS]
    # the targets: each layer within 3x torch, depthwise within 6x (torch has
    # a dedicated kernel; NumPy's floor is k*k passes over the tensor), median within 1.5x
    limits = [6.0 if is_depthwise(layer) else 3.0 for layer in LAYERS]
    for label, ratios in (("conv2d", conv_ratios), ("conv_transpose2d", transposed_ratios)):
        median, worst = float(np.median(ratios)), max(ratios)
        line = (f"- `{label}`: median ratio ours/torch {median:.2f}, worst {worst:.2f} "
                f"({names[ratios.index(worst)]})")
        if not ARGS.smoke:
            over = [f"{n} ({r:.1f} > {limit:.0f})"
                    for n, r, limit in zip(names, ratios, limits) if r > limit]
            line += (f". Targets: median ≤ 1.5 {verdict(median <= 1.5)}, every layer ≤ 3.0 "
                     f"(depthwise ≤ 6.0) {verdict(not over)}")
            if over:
                line += f" (over: {', '.join(over)})"
        print(line)
    print()


# ---------------------------------------------------------------------------
# Scaling: two layers at three input sizes
# ---------------------------------------------------------------------------

# (name, N, C_in, C_out, k, s, p, g, input sizes H); the layer is a transposed
# convolution (N, C_in, H, H) -> (N, C_out, Ho, Ho), conv2d the other way, as above.
SCALING = [
    ("DCGAN-style 128→64, k=4, s=2", 16, 128, 64, 4, 2, 1, 1, (8, 16, 32)),
    ("3×3 stride 1, 64→64", 8, 64, 64, 3, 1, 1, 1, (28, 56, 112)),
]


def section_scaling():
    print("## Scaling with input size (float32, times in ms)\n")
    rng = np.random.default_rng(1)
    rows, growth = [], []
    for name, N, c_in, c_out, k, s, p, g, sizes in SCALING:
        if ARGS.smoke:
            N, c_in, c_out, sizes = 2, c_in // 8, c_out // 8, tuple(h // 4 for h in sizes[:2])
        results = []
        for H in sizes:
            c2, c2_torch, ct, ct_torch = time_layer(N, c_in, c_out, H, k, s, p, g, rng)
            results.append((H, c2, c2_torch, ct, ct_torch))
            Ho = (H - 1) * s - 2 * p + k
            rows.append([name, f"{H}×{H} → {Ho}×{Ho}", ms(c2), fmt_ratio(ratio(c2, c2_torch)),
                         ms(ct), fmt_ratio(ratio(ct, ct_torch))])
        growth.append((name, results))
    table(["layer (N, channels fixed)", "conv_transpose2d input → output", "conv2d ours",
           "ours/torch", "conv_transpose2d ours", "ours/torch"], rows)
    for name, results in growth:
        (h0, c0, _, t0, _), (h1, c1, _, t1, _) = results[0], results[-1]
        pixels = (h1 / h0) ** 2
        ratios = [ratio(r[1], r[2]) for r in results] + [ratio(r[3], r[4]) for r in results]
        spread = ("" if None in ratios else
                  f"; the ratio ours/torch stays between {min(ratios):.2f} and {max(ratios):.2f}")
        print(f"- {name}: {pixels:.0f}× the pixels ({h0}→{h1}) takes {c1 / c0:.1f}× the time "
              f"for conv2d and {t1 / t0:.1f}× for conv_transpose2d{spread}.")
    print()


# ---------------------------------------------------------------------------
# The teaching ladder: the same one-channel convolution four ways
# ---------------------------------------------------------------------------


def times_slower(r):
    return f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×"


def section_ladder():
    sizes = (8,) if ARGS.smoke else (16, 64)
    print("## The teaching ladder: one channel, 3×3 kernel, float64 (times in ms)\n")
    rng = np.random.default_rng(2)
    w = rng.standard_normal((3, 3))
    columns = {}
    for n in sizes:
        x = rng.standard_normal((n, n))
        o = n - 2
        C = utils.conv_matrix(w, (n, n))
        ways = {
            "sliding window in Python loops (`conv2d_loops`)": lambda: utils.conv2d_loops(x, w),
            "im2col, then one matrix product": lambda: (
                w.ravel() @ utils.im2col(x[None, None], 3)[0]).reshape(o, o),
            "dense C @ x (C built beforehand)": lambda: (C @ x.ravel()).reshape(o, o),
            "building C (`conv_matrix`)": lambda: utils.conv_matrix(w, (n, n)),
            "`conv2d` (the framework form)": lambda: utils.conv2d(x[None, None], w[None, None]),
        }
        repeat = 3 if ARGS.smoke else 7
        columns[n] = {name: float(np.median(times(fn, repeat, 1))) for name, fn in ways.items()}
    rows = []
    largest = sizes[-1]
    for name in columns[largest]:
        base = columns[largest]["`conv2d` (the framework form)"]
        rows.append([name, *(ms(columns[n][name]) for n in sizes),
                     times_slower(columns[largest][name] / base)])
    table(["way", *(f"{n}×{n} input" for n in sizes), f"÷ conv2d at {largest}×{largest}"], rows)


# ---------------------------------------------------------------------------
# Widgets: every explorer's render function, from call to PNG
# ---------------------------------------------------------------------------

TOPIC_MODULES = ("start", "sliding", "matrix", "transposed", "sizes", "networks", "gradients", "checkerboard",
                 "gallery")
# every explorer: module -> render function
EXPECTED_RENDERS = {"start": "render_check", "sliding": "render_sliding_window",
                    "matrix": "render_conv_matrix", "transposed": "render_transposed",
                    "sizes": "render_solver", "networks": "render_groups",
                    "gradients": "render_read_rows", "checkerboard": "render_overlap"}


def capture_explorers():
    """Build every *_explorer() with widgets.explorer replaced by a recorder.

    Returns ([(label, render, controls, adjust, dpi, maker)], notes). The recorder keeps the
    render function, its controls and its adjust function, and draws nothing.
    """
    from utils import widgets

    original, captured = widgets.explorer, []

    def recorder(render, controls, adjust=None, extras=(), dpi=80):
        captured.append((render, controls, adjust, dpi))

    recorder.records = True

    found, notes, patched = [], [], []
    widgets.explorer = recorder
    try:
        for name in TOPIC_MODULES:
            try:
                module = importlib.import_module(f"utils.{name}")
            except ImportError as error:
                if name in EXPECTED_RENDERS:
                    notes.append(f"`utils/{name}.py` is missing ({error}): "
                                 f"`{EXPECTED_RENDERS[name]}` not measured")
                continue
            for attr, value in list(vars(module).items()):
                # `from .widgets import explorer`, bound before we patched (or to a recorder
                # while we did, when this capture imported the module)
                if value is original or getattr(value, "records", False):
                    setattr(module, attr, recorder)
                    patched.append((module, attr))
            makers = [v for a, v in vars(module).items() if a.endswith("_explorer") and callable(v)
                      and getattr(v, "__module__", None) == module.__name__]
            for make in makers:
                captured.clear()
                try:
                    make()
                except Exception as error:  # an unfinished module must not stop the benchmark
                    notes.append(f"`{name}.{make.__name__}()` failed: {error!r}")
                    continue
                for render, controls, adjust, dpi in captured:
                    found.append((f"{name}.{getattr(render, '__name__', '?')}", render, controls,
                                  adjust, dpi, f"{name}.{make.__name__}"))
            if name in EXPECTED_RENDERS and not any(
                    label == f"{name}.{EXPECTED_RENDERS[name]}" for label, *_ in found):
                notes.append(f"`utils.{name}.{EXPECTED_RENDERS[name]}` has no explorer yet: "
                             f"not measured")
    finally:
        widgets.explorer = original
        for module, attr in patched:  # so that a second capture finds them again
            setattr(module, attr, original)
    return found, notes


def values_of(controls):
    return {name: c.value for name, c in controls.items()}


def is_slider(control):
    return hasattr(control, "max") and isinstance(getattr(control, "value", None), (int, float)) \
        and not isinstance(control.value, bool)


def largest_settings(render, controls, adjust):
    """Every slider at its maximum (lowered, in order, where the render says 'not possible'),
    then every other control at the option that renders slowest."""
    from utils.draw import to_png

    def settle():
        if adjust is not None:
            adjust(controls)

    def valid():
        return not isinstance(render(**values_of(controls)), str)

    for _ in range(2):  # twice: adjust() may raise the maximum of a later slider
        for control in controls.values():
            if not is_slider(control):
                continue
            for value in range(control.max, control.min - 1, -1):
                control.value = value
                settle()
                if control.value == value and valid():
                    break
    for control in controls.values():
        options = getattr(control, "options", None)
        if is_slider(control) or not options:
            continue
        slowest, best = control.value, -1.0
        for option in options:
            control.value = option[1] if isinstance(option, tuple) else option
            settle()
            start = time.perf_counter()
            figure = render(**values_of(controls))
            if isinstance(figure, str):
                continue
            to_png(figure)
            elapsed = time.perf_counter() - start
            if elapsed > best:
                slowest, best = control.value, elapsed
        control.value = slowest
        settle()
    return values_of(controls)


def describe(values):
    return ", ".join(f"{k}={v}" for k, v in values.items())


def section_widgets():
    print("## Widgets: render function to PNG (ms)\n")
    from utils.draw import to_png

    found, notes = capture_explorers()
    repeat, warmup = (2, 1) if ARGS.smoke else (30, 2)
    rows, misses = [], []
    for label, render, controls, adjust, dpi, _ in found:
        settings = [("default", values_of(controls))]
        if not ARGS.smoke:
            settings.append(("largest", largest_settings(render, controls, adjust)))
        for which, values in settings:
            first = render(**values)
            if isinstance(first, str):
                rows.append([f"`{label}`", which, describe(values), "not possible", "", first])
                continue
            samples = times(lambda: to_png(render(**values)), repeat, warmup)
            median, p95 = float(np.median(samples)), float(np.percentile(samples, 95))
            rows.append([f"`{label}`", which, describe(values), ms(median), ms(p95), ""])
            if which == "largest" and (median > 0.1 or p95 > 0.2):
                misses.append(f"{label} (median {ms(median)} ms, p95 {ms(p95)} ms)")
    if rows:
        table(["render function", "settings", "values", "median", "p95", "note"], rows)
    for note in notes:
        print(f"- {note}")
    if not ARGS.smoke and found:
        print(f"- Target: every explorer at its largest settings, median ≤ 100 ms and "
              f"p95 ≤ 200 ms: {verdict(not misses)}"
              + (f" ({'; '.join(misses)})" if misses else ""))
    print(f"- {repeat} renders after {warmup} warm-up ones; PNG at the explorer's dpi; "
          f"'largest' = every slider at its maximum (lowered where impossible), every "
          f"toggle at its slowest option")
    print()


# ---------------------------------------------------------------------------
# Browser: slider moved -> new picture shown, in JupyterLab in headless Chromium
# ---------------------------------------------------------------------------


def section_browser():
    print("## Explorers in the browser: key press on a slider → new picture shown (ms)\n")
    if ARGS.smoke:
        print("Skipped in a smoke run: it starts JupyterLab and Chromium and runs every "
              "notebook with an explorer (about five minutes).\n")
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import browser
    from utils.draw import to_png

    reason = browser.missing()
    if reason:
        print(f"Not measured: {reason}.\n")
        return
    presses = 30
    latencies = browser.explorer_latencies(presses=presses)
    found, _ = capture_explorers()
    renders = {maker: (render, controls, dpi) for _, render, controls, _, dpi, maker in found}
    rows, misses = [], []
    for maker, (notebook, samples) in latencies.items():
        render_ms = "not found"
        if maker in renders:  # the render alone, at the explorer's default settings and dpi
            render, controls, dpi = renders[maker]
            values = values_of(controls)
            seconds = float(np.median(times(lambda: to_png(render(**values), dpi=dpi), 30, 2)))
            render_ms = ms(seconds)
            if seconds > 0.1:
                misses.append(f"{maker} renders in {render_ms} ms")
        if isinstance(samples, str) or not samples:
            rows.append([f"`{maker}`", notebook, render_ms, samples or "no redraw seen", "", 0])
            misses.append(f"{maker} not measured in the browser")
            continue
        median, p95 = float(np.median(samples)), float(np.percentile(samples, 95))
        rows.append([f"`{maker}`", notebook, render_ms, f"{median:.0f}", f"{p95:.0f}", len(samples)])
        if median > 150 or p95 > 300:
            misses.append(f"{maker} (median {median:.0f} ms, p95 {p95:.0f} ms)")
    table(["explorer", "notebook", "render → PNG alone (median)", "browser median",
           "browser p95", "key presses"], rows)
    print(f"- Target: every explorer in the browser median ≤ 150 ms and p95 ≤ 300 ms, its "
          f"render ≤ 100 ms: {verdict(not misses)}" + (f" ({'; '.join(misses)})" if misses else ""))
    print(f"- {presses} arrow-key presses (right, left, ...) on the explorer's first slider, "
          f"timed in the page from the keydown to the change of the explorer's <img> src; "
          f"each notebook copied up to its explorer and run in JupyterLab first\n")


# ---------------------------------------------------------------------------
# Notebooks: the whole suite under strict nbval
# ---------------------------------------------------------------------------

EXPECTED_NOTEBOOKS = ("00", "01", "02", "03", "04", "05", "06", "07")


def section_notebooks():
    print("## Notebooks under strict nbval (seconds)\n")
    if ARGS.smoke:
        print("Skipped in a smoke run.\n")
        return
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    missing = [n for n in EXPECTED_NOTEBOOKS if not any(p.name.startswith(n) for p in paths)]
    if not paths:
        print("No notebooks yet.\n")
        return
    command = [sys.executable, "-m", "pytest", *(str(p.relative_to(ROOT)) for p in paths),
               "-p", "no:xdist", "-q", "--durations=0", "--durations-min=0"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    per_notebook = {p.name: 0.0 for p in paths}
    cells = {p.name: 0 for p in paths}
    for line in result.stdout.splitlines():
        match = re.match(r"\s*([\d.]+)s\s+(setup|call|teardown)\s+\S*?([^/\s]+\.ipynb)::", line)
        if match and match.group(3) in per_notebook:
            per_notebook[match.group(3)] += float(match.group(1))
            cells[match.group(3)] += match.group(2) == "call"
    failed = {m.group(1) for m in re.finditer(r"(?:FAILED|ERROR) \S*?([^/\s]+\.ipynb)",
                                              result.stdout)}
    rows = [[name, cells[name], f"{seconds:.1f}", "failed" if name in failed else "passed"]
            for name, seconds in per_notebook.items()]
    table(["notebook", "cells", "time", "strict nbval"], rows)
    slowest = max(per_notebook, key=per_notebook.get)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"
    print(f"- total wall time {wall:.1f} s for {len(paths)} notebooks (pytest: {summary}); "
          f"slowest: {slowest} ({per_notebook[slowest]:.1f} s)")
    print(f"- Target: the full suite under 90 s: {verdict(wall < 90)}")
    if missing:
        print(f"- not there yet: notebook(s) {', '.join(missing)}")
    shown = ["python", "-m", "pytest", "notebooks/[0-9][0-9]_*.ipynb", *command[-5:]]
    print(f"- command: `{' '.join(shown)}`\n")


def main():
    environment()
    for name in SECTIONS:
        if name in ARGS.only:
            start = time.perf_counter()
            globals()[f"section_{name}"]()
            if not ARGS.smoke:
                print(f"<sub>{name}: {time.perf_counter() - start:.0f} s to measure</sub>\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
