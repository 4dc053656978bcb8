"""Feedback for the exercises at the end of each notebook.

A checker compares the learner's answer with a value it computes itself and
prints a hint when the answer is wrong, never the answer.
"""

import numpy as np

NO_ANSWER = "No answer yet: replace None with your answer and run the cell again."


def feedback(answer, correct, hint):
    """Print the verdict on one answer; `correct` is a bool computed by the checker."""
    if answer is None:
        print(NO_ANSWER)
    elif correct:
        print("Correct!")
    else:
        print(f"Not yet. Hint: {hint}")
    return None if answer is None else bool(correct)


def check_value(answer, expected, hint, atol=1e-9):
    """Check a number, a tuple of numbers or an array against the expected value."""
    if answer is None:
        return feedback(None, False, hint)
    try:
        correct = np.shape(answer) == np.shape(expected) and np.allclose(answer, expected, atol=atol)
    except (TypeError, ValueError):
        correct = False
    return feedback(answer, correct, hint)
