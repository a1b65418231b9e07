"""The classroom's interactive pieces for notebooks 01 and 02 (core ipywidgets + matplotlib).

- ``single_neuron``: one hidden unit's compartments (soma, top-down input, interneuron input,
  dendritic state, nudge) for given inputs; ``plot_single_neuron`` draws them as bars.
- ``layer_states``: the compartments of a real network for one sample, under several rules
  (``plot_unit_nudges`` draws their nudges side by side).
- ``unit_maps`` / ``plot_unit_maps``: what single units compute over the input plane.
- ``Playground``: a small TensorFlow-Playground for the spiral: learning rate,
  hidden sizes, epochs, seed and noise sliders; Train / Reset buttons; the live
  decision map with test points, the learning curve with the Bayes ceiling, and
  an accuracy readout.

Values are computed here and drawn by ``dendritic.plots`` (whose ``plot_single_neuron``,
``plot_unit_nudges``, ``unit_maps`` and ``plot_unit_maps`` are re-exported here), so a test can
check them. matplotlib and ipywidgets are imported only inside the functions that use them.
"""

import copy
import html
from io import BytesIO
import math
from numbers import Real
import time

import numpy as np
import torch

from . import checks
from .data import BAYES_ACCURACY, spiral_data
from .network import Network, relu_derivative
from .plots import plane_limit, plot_single_neuron, plot_unit_maps, plot_unit_nudges, unit_maps
from .rules import RULES, rule as make_rule
from .training import TrainResult, evaluate, train

__all__ = ["Playground", "layer_states", "plot_single_neuron", "plot_unit_maps", "plot_unit_nudges", "single_neuron",
           "unit_maps"]

# --- one neuron ---------------------------------------------------------------

def _finite(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def single_neuron(bottom_up, top_down, teaching=0.0, interneuron=0.0):
    """The compartments of one hidden unit (docs/science.md, without the clamps).

    Args:
        bottom_up: the soma's input z = W a_{l-1} + b.
        top_down: the dendrite's top-down input before teaching, I_TD^F = W^T a_{l+1}^F.
        teaching: how much the teaching nudge changes the top-down input,
            so I_TD^B = I_TD^F + teaching.
        interneuron: the dendrite-targeting interneuron's input I_Int.
    Returns:
        dict of floats: soma, activity, gate (f'(z)), top_down_forward,
        top_down_backward, interneuron, dendrite_forward (D^F = I_TD^F - I_Int),
        dendrite_backward (D^B = I_TD^B - I_Int), nudge_contrast
        (temporal contrast: f'(z)(D^B - D^F)) and nudge_interneuron
        (interneuron rule: f'(z) D^B).
    """
    values = {name: _finite(name, v) for name, v in
              (("bottom_up", bottom_up), ("top_down", top_down), ("teaching", teaching), ("interneuron", interneuron))}
    z = torch.tensor(values["bottom_up"], dtype=torch.float64)
    a = torch.relu(z)
    gate = relu_derivative(a)  # 1 if the soma is active, else 0: plasticity is gated by the soma
    top_down_forward = values["top_down"]
    top_down_backward = values["top_down"] + values["teaching"]
    dendrite_forward = top_down_forward - values["interneuron"]
    dendrite_backward = top_down_backward - values["interneuron"]
    return {
        "soma": float(z), "activity": float(a), "gate": float(gate),
        "top_down_forward": top_down_forward, "top_down_backward": top_down_backward,
        "interneuron": values["interneuron"],
        "dendrite_forward": dendrite_forward, "dendrite_backward": dendrite_backward,
        "nudge_contrast": float(gate * (dendrite_backward - dendrite_forward)),
        "nudge_interneuron": float(gate * dendrite_backward),
    }


# --- one layer of a real network -------------------------------------------------

def layer_states(net, x, target, rules=("backprop", "temporal_contrast", "interneuron")):
    """The compartments each rule computes for one sample, without changing ``net``.

    Each rule takes one ``step`` on its own copy of ``net``; returns
    {rule name: net.compartments} (a list over layers of dicts of tensors).
    """
    if not isinstance(net, Network):
        raise ValueError(f"net must be a dendritic.Network, got {type(net).__name__}")
    out = {}
    for name in rules:
        checks.choice("rule", name, tuple(RULES))
        clone = copy.deepcopy(net)
        make_rule(name).step(clone, x, target)
        out[name] = clone.compartments
    return out


# --- the playground -------------------------------------------------------------

#: Slider ranges of the playground: (min, max).
LR_RANGE = (1e-4, 1.0)
HIDDEN_RANGE = ((1, 256), (0, 128))  # a second hidden layer of size 0 means "none"
EPOCHS_RANGE = (1, 10)
SEED_RANGE = (0, 99)
NOISE_RANGE = (0.0, 0.5)
POSTER_NOISE = 0.16  # the noise the Bayes ceiling BAYES_ACCURACY is for
THUMBNAILS = 8
#: Width of every control and of the descriptions in front of the sliders (pixels).
CONTROL_WIDTH, DESCRIPTION_WIDTH = 340, 125


def _in_range(name, value, low, high, integer=False):
    value = checks.integer(name, value, low) if integer else checks.non_negative(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'} in [{low}, {high}], got {value!r}")
    return value


class Playground:
    """A TensorFlow-Playground-like widget for the spiral; display it (or ``.widget``) in a notebook.

    Train trains the current network for ``epochs`` more epochs with the chosen
    rule and learning rate (the first Train after a reset is exactly
    ``dendritic.train(Network(sizes, seed), rule, data, epochs)``); Reset builds a
    fresh network. Changing the hidden sizes, seed, noise or rule resets at once
    (the old network no longer matches); the learning rate and epochs apply to
    the next Train. Sliders are bounded, so a slider cannot produce bad input;
    the constructor checks its arguments against the same ranges.

    Args:
        rule: the learning rule ("backprop", "temporal_contrast", "interneuron").
        lr: learning rate in [1e-4, 1]; default: the rule's poster value.
        hidden: (n_1, n_2) hidden sizes, n_1 in 1..256, n_2 in 0..128 (0: one hidden layer).
        epochs: epochs per Train click, 1..10.
        seed: network seed 0..99 (initialisation and sample order).
        noise: spiral noise sigma in [0, 0.5].
        per_class: spiral points per class (2000 on the poster).
        data_seed: seed of the spiral's noise and split.
        resolution: decision-map pixels per side, 20..400.
        thumbnails: also show the activity of the last hidden layer's most varied units.
    """

    def __init__(self, rule="backprop", lr=None, hidden=(128, 32), epochs=1, seed=0, noise=POSTER_NOISE,
                 per_class=2000, data_seed=0, resolution=100, thumbnails=False):
        import ipywidgets as w

        checks.choice("rule", rule, tuple(RULES))
        lr = make_rule(rule).lr if lr is None else lr
        lr = _in_range("lr", checks.positive("lr", lr), *LR_RANGE)
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__") or len(hidden) != 2:
            raise ValueError(f"hidden must be two sizes (n_1, n_2), got {hidden!r}")
        hidden = [_in_range(f"hidden[{i}]", h, *HIDDEN_RANGE[i], integer=True) for i, h in enumerate(hidden)]
        epochs = _in_range("epochs", epochs, *EPOCHS_RANGE, integer=True)
        seed = _in_range("seed", seed, *SEED_RANGE, integer=True)
        noise = _in_range("noise", noise, *NOISE_RANGE)
        self.per_class = checks.integer("per_class", per_class, 10)
        self.data_seed = checks.integer("data_seed", data_seed, 0)
        self.resolution = _in_range("resolution", resolution, 20, 400, integer=True)
        if not isinstance(thumbnails, bool):
            raise ValueError(f"thumbnails must be True or False, got {thumbnails!r}")

        # Fixed-width controls that never shrink, and a box that wraps the plot below them when the
        # notebook is narrow (1366 px with the file browser open): no slider readout is ever cut off.
        look = dict(style={"description_width": f"{DESCRIPTION_WIDTH}px"}, layout=w.Layout(width=f"{CONTROL_WIDTH}px"))
        slider = dict(continuous_update=False, **look)  # act on release, never on every pixel of a drag
        self.rule = w.Dropdown(options=tuple(RULES), value=rule, description="rule", **look)
        self.lr = w.FloatLogSlider(value=lr, base=10, min=math.log10(LR_RANGE[0]), max=math.log10(LR_RANGE[1]),
                                   step=0.05, readout_format=".4f", description="learning rate", **slider)
        self.hidden1 = w.IntSlider(value=hidden[0], min=HIDDEN_RANGE[0][0], max=HIDDEN_RANGE[0][1],
                                   description="hidden 1", **slider)
        self.hidden2 = w.IntSlider(value=hidden[1], min=HIDDEN_RANGE[1][0], max=HIDDEN_RANGE[1][1],
                                   description="hidden 2 (0: none)", **slider)
        self.epochs = w.IntSlider(value=epochs, min=EPOCHS_RANGE[0], max=EPOCHS_RANGE[1],
                                  description="epochs per Train", **slider)
        self.seed = w.IntSlider(value=seed, min=SEED_RANGE[0], max=SEED_RANGE[1], description="seed", **slider)
        self.noise = w.FloatSlider(value=noise, min=NOISE_RANGE[0], max=NOISE_RANGE[1], step=0.01,
                                   description="noise", **slider)
        self.thumbnails = w.Checkbox(value=thumbnails, description="unit thumbnails", indent=False)
        self.train_button = w.Button(description="Train", button_style="success", icon="play")
        self.reset_button = w.Button(description="Reset", icon="refresh")
        self.readout = w.HTML(layout=w.Layout(width=f"{CONTROL_WIDTH}px"))
        self.output = w.Output(layout=w.Layout(flex="1 1 480px", min_width="320px"))

        self.train_button.on_click(lambda _: self._run(self.train))
        self.reset_button.on_click(lambda _: self._run(self.reset))
        for control in (self.hidden1, self.hidden2, self.seed, self.noise):
            control.observe(lambda _: self.reset(), names="value")
        self.rule.observe(self._rule_changed, names="value")
        self.thumbnails.observe(lambda _: self.draw(), names="value")

        controls = w.VBox([self.rule, self.lr, self.hidden1, self.hidden2, self.epochs, self.seed, self.noise,
                           self.thumbnails, w.HBox([self.train_button, self.reset_button]), self.readout],
                          layout=w.Layout(flex="0 0 auto", width=f"{CONTROL_WIDTH + 10}px"))
        self.widget = w.HBox([controls, self.output], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.figure = None
        self.data = None
        self.reset()

    # --- state ------------------------------------------------------------------
    @property
    def sizes(self):
        hidden = [h for h in (self.hidden1.value, self.hidden2.value) if h > 0]
        return (2, *hidden, 4)

    def make_rule(self):
        """The rule the next Train uses: the chosen rule at the slider's learning rate
        (with one hidden layer, the interneuron rule keeps hidden layer 1's lr_rec)."""
        hyperparameters = {"lr": self.lr.value}
        lr_rec = getattr(make_rule(self.rule.value), "lr_rec", None)
        hidden = len(self.sizes) - 2
        if lr_rec is not None and len(lr_rec) not in (1, hidden):
            hyperparameters["lr_rec"] = lr_rec[:hidden]
        return make_rule(self.rule.value, **hyperparameters)

    def _rule_changed(self, change):
        self.lr.value = make_rule(change["new"]).lr  # each rule starts at its poster learning rate
        self.reset()

    def _run(self, action):
        """A button's action; a ValueError from the library shows in the readout, not in a log."""
        try:
            action()
        except ValueError as error:
            self.readout.value = f"<span style='color:#c00'>{html.escape(str(error))}</span>"

    def reset(self):
        """A fresh network (and spiral, if the noise changed); nothing trained yet."""
        if self.data is None or self.data.noise != self.noise.value:
            self.data = spiral_data(per_class=self.per_class, noise=self.noise.value, seed=self.data_seed)
        self.net = Network(self.sizes, seed=self.seed.value)
        self.trains = 0
        self.result = None
        self.seconds = None
        ev = evaluate(self.net, *self.data.val)
        self._curve_steps, self._curve_acc, self._curve_loss = [0], [ev.accuracy], [ev.loss]
        self.draw()

    def train(self):
        """Train ``epochs`` more epochs and redraw; returns the ``TrainResult`` of this click."""
        rule = self.make_rule()
        # the first run uses the network's own sample order, every later run a new one
        order = None if self.trains == 0 else [
            int(np.random.SeedSequence([self.seed.value, self.trains]).generate_state(1)[0] % 2**31)]
        start = time.perf_counter()
        result = train(self.net, rule, self.data, epochs=self.epochs.value, seed=order)
        self.seconds = time.perf_counter() - start
        offset = self._curve_steps[-1]
        self._curve_steps += list(offset + result.curve_steps[1:])
        self._curve_acc += list(result.curve_val_acc[1:])
        self._curve_loss += list(result.curve_val_loss[1:])
        self.trains += 1
        self.result = result
        self.draw()
        return result

    def history(self):
        """Everything trained since the last reset, as one ``TrainResult`` (for the curve)."""
        return TrainResult.measured(self.net, self.make_rule(), self.data, self._curve_steps[-1], self._curve_steps,
                                    self._curve_acc, self._curve_loss)

    # --- drawing ------------------------------------------------------------------
    def draw(self):
        """Redraw the decision map, learning curve (and thumbnails) and the readout."""
        from . import plots
        from .style import figure, rule_label

        history = self.history()
        self.figure = figure(10, 6.0 if self.thumbnails.value else 4.2)  # not pyplot: nothing is shown twice
        if self.thumbnails.value:
            top, bottom = self.figure.subfigures(2, 1, height_ratios=(3, 1.15))
        else:
            top, bottom = self.figure, None
        ax_map, ax_curve = top.subplots(1, 2)
        plots.plot_decision_map(ax_map, self.net, self.data, split="test", resolution=self.resolution)
        ax_map.set_title(f"{'-'.join(map(str, self.sizes))}, seed {self.seed.value}, noise {self.noise.value:.2f}: "
                         "test points", fontsize=10)
        plots.plot_learning_curve(ax_curve, history, label=f"{rule_label(self.rule.value)}, "
                                    f"seed {self.seed.value}")
        ax_curve.legend(loc="lower right", fontsize=8)
        if bottom is not None:
            layer = self.net.layers - 1
            limit = plane_limit(self.data)
            maps = unit_maps(self.net, layer, limit=limit, resolution=40)
            axes = bottom.subplots(1, min(THUMBNAILS, len(maps)), squeeze=False)[0]
            plot_unit_maps(axes, maps, limit=limit)
            bottom.suptitle(f"hidden layer {layer}: activity of its most varied units over the plane", fontsize=9)
        self.readout.value = self.describe(history)
        self._show()

    def describe(self, history, html=True):
        """The readout: step, accuracies, Bayes ceiling, dead outputs, time of the last Train."""
        bold = (lambda t: f"<b>{t}</b>") if html else (lambda t: t)
        red = (lambda t: f"<span style='color:#c00'>{t}</span>") if html else (lambda t: t)
        parts = [f"step {history.steps}"]
        if history.diverged[0]:
            parts.append(red(bold("diverged (NaN): lower the learning rate and Reset")))
        else:
            parts.append(f"val acc {bold(f'{history.val_acc[0]:.3f}')}")
            parts.append(f"test acc {history.test_acc[0]:.3f}")
            note = "" if self.noise.value == POSTER_NOISE else f" (for noise {POSTER_NOISE})"
            parts.append(f"Bayes ceiling {BAYES_ACCURACY:.3f}{note}")
        dead = int(history.dead_outputs[0])
        if dead:
            parts.append(red(f"{dead} dead output unit{'s' * (dead > 1)}"))
        if self.seconds is not None:
            parts.append(f"last Train {self.seconds:.2f} s")
        return (" &middot; " if html else " | ").join(parts)

    def summary(self):
        """The readout as plain text."""
        return self.describe(self.history(), html=False)

    def _show(self):
        """Put the figure into the Output widget as a PNG (only inside IPython)."""
        from IPython import get_ipython
        if get_ipython() is None:
            return
        from IPython.display import Image, clear_output, display
        buffer = BytesIO()
        self.figure.savefig(buffer, format="png", dpi=85)
        with self.output:
            clear_output(wait=True)
            display(Image(buffer.getvalue()))

    def pixels(self):
        """The drawn figure as an RGBA array [h, w, 4] (what a user sees; for tests)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        canvas = FigureCanvasAgg(self.figure)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
