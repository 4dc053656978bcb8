"""The thin layer that wires ipywidgets controls to pure render functions.

Every explorer in the series is a render function, `render_*(**values)`, that
returns a matplotlib Figure or, for an impossible combination of values, a
one-line string saying why. `explorer` connects it to sliders and shows the
figure as a PNG image (so it works the same in JupyterLab, Notebook, Binder and
Colab, in ipywidgets 7 and 8). Tests call the render functions directly.
Only core widgets are used: IntSlider, Dropdown, ToggleButtons, Play, Image, HTML.
"""

import functools
import numbers

from .draw import to_png


def check_controls(allowed, **values):
    """Refuse a value that the explorer's controls cannot give, naming it and the allowed range.

    allowed: name -> (low, high) for an int slider, or a list of the choices of a toggle.
    Raises ValueError (which explains_invalid shows as one line), never picks a default.
    """
    for name, value in values.items():
        options = allowed[name]
        if isinstance(options, list):
            try:
                known = not isinstance(value, bool) and value in options
            except (TypeError, ValueError):  # e.g. an array: "truth value is ambiguous"
                known = False
            if not known:
                raise ValueError(f"{name} must be one of {options}, got {value!r}")
            continue
        low, high = options
        if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                or not low <= value <= high):
            raise ValueError(f"{name} must be an int from {low} to {high} (the explorer's range), "
                             f"got {value!r}")


def explains_invalid(render):
    """Decorate a render function so a ValueError becomes its one-line explanation."""

    @functools.wraps(render)
    def safe_render(**values):
        try:
            return render(**values)
        except ValueError as error:
            return str(error).splitlines()[0]

    return safe_render


def explorer(render, controls, adjust=None, extras=(), dpi=80):
    """Show render(**values) and redraw it whenever a control changes.

    controls: dict name -> ipywidgets control (its .value is passed to render
    under that name); a Play control may be included by linking it to a slider.
    adjust: optional function(controls) called before each render, e.g. to set
    a selector's maximum from the other sliders.
    extras: widgets shown with the controls but not passed to render (a Play button).
    Returns the VBox to display.
    """
    import ipywidgets as widgets

    image = widgets.Image(format="png")
    message = widgets.HTML()
    busy = []  # adjust() may move other sliders; ignore the events that causes

    def update(change=None):
        if busy:
            return
        busy.append(True)
        try:
            if adjust is not None:
                adjust(controls)
            result = render(**{name: c.value for name, c in controls.items()})
        finally:
            busy.pop()
        if isinstance(result, str):
            message.value = f"<b>Not possible:</b> {result}"
            image.layout.display = "none"
        else:
            message.value = ""
            image.value = to_png(result, dpi=dpi)
            # show the PNG at its own size: a flex box would otherwise stretch and blur it
            image.layout.width = f"{round(result.get_figwidth() * dpi)}px"
            image.layout.display = None

    for control in controls.values():
        control.observe(update, names="value")
    update()
    return widgets.VBox([widgets.HBox([*extras, *controls.values()],
                                      layout=widgets.Layout(flex_flow="row wrap")),
                         message, image])


def slider(description, value, min, max, step=1):
    """An IntSlider whose value updates while dragging; the description is shown in full."""
    import ipywidgets as widgets

    return widgets.IntSlider(value=value, min=min, max=max, step=step, description=description,
                             continuous_update=True, style={"description_width": "initial"})


def play_slider(description, max, interval=600):
    """An IntSlider for a step counter, with a Play button linked to it; returns (play, slider)."""
    import ipywidgets as widgets

    step = slider(description, 0, 0, max)
    play = widgets.Play(value=0, min=0, max=max, interval=interval, description="Play")
    widgets.jslink((play, "value"), (step, "value"))
    return play, step
