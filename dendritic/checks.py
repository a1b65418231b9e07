"""Input validation at the API boundary: every error names the parameter and its valid range."""

import math
from collections.abc import Sequence
from numbers import Integral, Real


def positive(name, value):
    """A real number > 0 (learning rates, ...)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def non_negative(name, value):
    """A real number >= 0 (noise, rates where 0 switches a mechanism off)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def integer(name, value, minimum):
    """An integer >= minimum (sizes, counts, epochs).

    >>> integer("epochs", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def choice(name, value, valid):
    """One of a fixed set of names."""
    if value not in valid:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, valid))}; got {value!r}")
    return value


def boolean(name, value):
    """True or False (not 0 / 1 / "yes")."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def seeds(name, value):
    """One seed (an integer >= 0) or a non-empty sequence of them, as a tuple; ``value`` is a sequence or not."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if not value:
            raise ValueError(f"{name} must be an integer >= 0 or a non-empty sequence of them, got an empty sequence")
        return tuple(integer(name, s, 0) for s in value)
    return (integer(name, value, 0),)


def member(name, value, members):
    """An index into ``members`` items (an ensemble's members, a list of frames): an integer in 0..members-1.

    >>> member("member", 2, 3)
    2
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or not 0 <= value < members:
        raise ValueError(f"{name} must be an integer in 0..{members - 1}, got {value!r}")
    return int(value)
