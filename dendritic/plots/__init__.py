"""Plotting primitives: each draws into a matplotlib Axes you pass in and returns it, so a
notebook or a figure can combine them freely. One module per topic:

- ``task``: the spiral, decision maps, learning curves, class-averaged activity, unit maps;
- ``schematic``: the soma / dendrite / interneuron neuron and the network (Fig. 1);
- ``neuron``: compartment values of one unit, per-unit nudges of a layer (bars);
- ``updates``: update angles to backprop, ReLU kinks, interneuron cancellation, dendrites at
  the clamp, top-down weights B_l vs W_{l+1}^T (from ``train(record_every=k)`` records);
- ``comparison``: accuracy per rule and seed with p-values (Fig. 4, a seaborn swarm), seed pairs;
- ``curves``: what the curves share (smoothing, median band over members, records, Bayes line).

Colours and rule names come from ``dendritic.style``. matplotlib (and seaborn) are imported
only inside the functions that draw; wrap a figure in ``dendritic.style.style()`` for the
figures' look.
"""

from .comparison import format_p, plot_accuracy_comparison, plot_seed_pairs
from .curves import smooth
from .neuron import NEURON_BARS, plot_single_neuron, plot_unit_nudges
from .schematic import plot_architecture, plot_neuron
from .task import (decision_map, plane_limit, plot_decision_map, plot_layer_activity, plot_learning_curve, plot_spiral,
                   plot_unit_maps, unit_maps)
from ..diagnostics import kink_counts, relu_kinks  # measurements the plots draw
from .updates import (plot_angles, plot_cancellation, plot_dendrite_saturation, plot_interneuron_gain,
                      plot_kinks, plot_nudge_angle_against_residual, plot_recorded, plot_residual_fraction, plot_residual_steps,
                      plot_top_down_alignment)

__all__ = ["NEURON_BARS", "decision_map", "format_p", "kink_counts", "plane_limit", "plot_accuracy_comparison",
           "plot_angles", "plot_architecture", "plot_cancellation", "plot_decision_map", "plot_dendrite_saturation",
           "plot_kinks", "plot_layer_activity", "plot_learning_curve", "plot_neuron", "plot_seed_pairs",
           "plot_single_neuron", "plot_spiral", "plot_top_down_alignment", "plot_unit_maps", "plot_unit_nudges",
           "relu_kinks", "smooth", "unit_maps", "plot_interneuron_gain", "plot_nudge_angle_against_residual",
           "plot_recorded", "plot_residual_fraction", "plot_residual_steps"]
