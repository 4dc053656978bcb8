"""The series' one running example: every notebook, figure, explorer and animation crops it.

Notebook 01's worked example is example_input(4) and example_kernel(3); an explorer with
i = 7 and k = 5 shows the same numbers in its top-left corner, so a learner recognises them.
"""

import numpy as np

INPUT = np.array([[1, 2, 0, 3, 1, 4, 2, 0, 1],
                  [4, 1, 2, 1, 0, 2, 3, 1, 2],
                  [0, 3, 1, 2, 4, 1, 0, 2, 3],
                  [2, 1, 4, 0, 1, 3, 2, 1, 0],
                  [1, 0, 2, 3, 2, 0, 1, 4, 2],
                  [3, 2, 1, 0, 1, 2, 4, 0, 1],
                  [0, 1, 3, 2, 0, 1, 2, 3, 4],
                  [2, 4, 0, 1, 3, 2, 1, 0, 2],
                  [1, 3, 2, 4, 2, 0, 3, 1, 0]])
KERNEL = np.array([[1, 2, 0, -1, 2],
                   [0, 1, -1, 2, 0],
                   [3, 0, 1, 0, -2],
                   [-1, 2, 0, 1, 1],
                   [2, 0, -2, 1, 0]])


def example_input(i=4):
    """The top-left (i, i) corner of INPUT, as floats (a copy): 4x4 is notebook 01's example."""
    if not 1 <= i <= len(INPUT):
        raise ValueError(f"i={i!r}: the running example is at most {len(INPUT)}x{len(INPUT)}")
    return INPUT[:i, :i].astype(float)


def example_kernel(k=3):
    """The top-left (k, k) corner of KERNEL, as floats (a copy): 3x3 is notebook 01's kernel."""
    if not 1 <= k <= len(KERNEL):
        raise ValueError(f"k={k!r}: the running example's kernel is at most {len(KERNEL)}x{len(KERNEL)}")
    return KERNEL[:k, :k].astype(float)
