"""The learning rules, registered by plain name, and the two configurations.

``poster``: the original code's learning rates and clamps (docs/science.md).
``tuned``: this project's own Optuna results, read from ``data/hyperparameters.json``.
"""

import json
from pathlib import Path

from .. import checks
from ..paths import DATA
from .backprop import Backprop
from .base import Rule
from .interneuron import Interneuron, StableInterneuron
from .temporal_contrast import FeedbackAlignment, KolenPollack, TemporalContrast
from .nonlinear_interneuron import NonlinearInterneuron
from .dale import Dale

#: The poster's three rules (what the poster figures compare).
RULES = {cls.name: cls for cls in (Backprop, TemporalContrast, Interneuron)}
#: Beyond the poster (notebook 06): no weight transport, Dale's law, nonlinear interneurons.
BEYOND = {cls.name: cls for cls in (FeedbackAlignment, KolenPollack, StableInterneuron, NonlinearInterneuron, Dale)}
#: Every rule ``rule()`` can make.
ALL_RULES = {**RULES, **BEYOND}
CONFIGS = ("poster", "tuned")
#: Where ``tune`` writes the tuned hyperparameters (the repository's copy, the source of truth).
HYPERPARAMETERS_FILE = DATA / "hyperparameters.json"
#: The copy shipped with the package (a link to the repository's in a checkout).
PACKAGED_HYPERPARAMETERS = Path(__file__).resolve().parent.parent / "hyperparameters.json"


def tuned_hyperparameters(name, path=None):
    """The tuned hyperparameters of rule ``name``: from ``data/hyperparameters.json`` in a
    checkout, else from the copy installed with the package."""
    path = path or _table_path()
    if not Path(path).exists():
        raise ValueError(f"config 'tuned' needs {path}; run `python -m dendritic tune --rule {name} --write` first")
    table = _read_table(path)
    if name not in table:
        raise ValueError(f"config 'tuned' has no entry for rule {name!r} in {path}; tuned rules: {', '.join(table)}")
    entry = table[name]
    if not isinstance(entry, dict) or not isinstance(entry.get("params"), dict):
        raise ValueError(f"{path}: the entry of rule {name!r} must be an object with a \"params\" object, got {entry!r:.80}")
    return dict(entry["params"])


def check_tuned_table(path=None):
    """Read the tuned table (if there is one) and check every entry; ValueError naming the file."""
    path = path or _table_path()
    if not Path(path).exists():
        return {}
    table = _read_table(path)
    for name in table:
        if name in ALL_RULES:
            params = tuned_hyperparameters(name, path)
            try:
                ALL_RULES[name](**params)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{path}: the tuned entry of rule {name!r} is not valid: {error}") from None
    return table


def _read_table(path):
    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text; restore it, e.g. git checkout -- {path}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
                         f"restore it, e.g. git checkout -- {path}") from None
    except OSError as error:
        raise ValueError(f"{path} cannot be read ({error.strerror})") from None
    if not isinstance(table, dict):
        raise ValueError(f"{path} must hold a JSON object (rule name -> entry), got {type(table).__name__}")
    return table


def rule(name, config="poster", **hyperparameters):
    """Make a learning rule by name.

    >>> rule("interneuron", lr=0.08, lr_rec=(0.53, 0.14), lr_bias=0.019)
    rule('interneuron', lr=0.08, lr_rec=(0.53, 0.14), lr_bias=0.019)

    Args:
        name: one of ``RULES`` ("backprop", "temporal_contrast", "interneuron") or of ``BEYOND``
            ("feedback_alignment", "kolen_pollack", "nonlinear_interneuron", "dale").
        config: "poster" (the original code's defaults) or "tuned" (data/hyperparameters.json).
        hyperparameters: override the configuration's values (lr, lr_rec, lr_bias, clamp, ...).
    """
    checks.choice("rule name", name, tuple(ALL_RULES))
    checks.choice("config", config, CONFIGS)
    cls = ALL_RULES[name]
    valid = cls.parameter_names()
    unknown = sorted(set(hyperparameters) - set(valid))
    if unknown:
        raise ValueError(f"rule {name!r} has no hyperparameter {', '.join(unknown)}; valid: {', '.join(valid)}")
    params = {}
    if config == "tuned":
        path = _table_path()
        params = tuned_hyperparameters(name, path)
        try:
            cls(**params)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: the tuned entry of rule {name!r} is not valid: {error}") from None
    return cls(**{**params, **hyperparameters})


def _table_path():
    return HYPERPARAMETERS_FILE if HYPERPARAMETERS_FILE.exists() else PACKAGED_HYPERPARAMETERS


__all__ = ["RULES", "BEYOND", "ALL_RULES", "CONFIGS", "Rule", "rule", "tuned_hyperparameters", "Backprop", "TemporalContrast", "Interneuron"]
