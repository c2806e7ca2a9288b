r"""The six 1D gradient signals of the response plots.

Each function returns ``n`` gradient values, one per step ``t = 0, 1, ..., n-1``,
defined as in the seed article's script. :func:`optlib.respond` feeds them to an
optimizer and returns the update it makes at each step, so every signal probes
one behaviour of a method:

- ``spikes``: 1 if t % 60 == 0 else 0. Rare, isolated large gradients.
- ``rectangles``: +1 for 20 steps, -1 for 20 steps. Sign flips (a square wave).
- ``noisy_sin``: sin(t/20) + U[-0.5, 0.5). A slow trend under strong noise.
- ``very_noisy_sin``: sin(t/20)/5 + U[-0.5, 0.5). Noise larger than the trend.
- ``uneven_sawtooth``: (t % 20) / 5 up to t = 80, then (t % 20) / 20. A drop
  of the gradient's scale.
- ``saturation``: 1 for 40 steps, 0 for 40 steps. A long constant push, then nothing.

>>> from optlib import signals
>>> signals.rectangles(6)
array([1., 1., 1., 1., 1., 1.])
>>> list(signals.SIGNALS)
['spikes', 'rectangles', 'noisy_sin', 'very_noisy_sin', 'uneven_sawtooth', 'saturation']
"""
from __future__ import annotations

import numpy as np

__all__ = ["spikes", "rectangles", "noisy_sin", "very_noisy_sin", "uneven_sawtooth",
           "saturation", "SIGNALS", "TITLES", "get", "from_formula"]


def _steps(n) -> np.ndarray:
    """The step numbers 0, 1, ..., n-1 as floats, after checking n."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return np.arange(int(n), dtype=float)


def _uniform_noise(n: int, seed) -> np.ndarray:
    """n draws of U[-0.5, 0.5) from ``numpy.random.default_rng(seed)``."""
    return np.random.default_rng(seed).random(n) - 0.5


def spikes(n: int = 300) -> np.ndarray:
    """A gradient of 1 every 60 steps (t = 0, 60, 120, ...), 0 in between.

    Tests the answer to rare, isolated large gradients: does one spike move the
    parameter once, or echo for many steps (momentum), and does a method whose
    scale adapts (Adagrad, RMSProp, Adam) over-react to a gradient after a long
    silence?

    >>> spikes(121)[[0, 1, 59, 60, 120]]
    array([1., 0., 0., 1., 1.])
    """
    t = _steps(n)
    return (t % 60 == 0).astype(float)


def rectangles(n: int = 300) -> np.ndarray:
    """A square wave: +1 for 20 steps, then -1 for 20 steps (period 40).

    Tests the answer to sign flips of the gradient: how long a method keeps
    moving the old way after the slope turns (momentum), and whether its step
    size shrinks to nothing (Adagrad) or settles at a level (RMSProp).

    >>> rectangles(41)[[0, 19, 20, 39, 40]]
    array([ 1.,  1., -1., -1.,  1.])
    """
    t = _steps(n)
    return 2.0 * (t % 40 < 20) - 1.0


def noisy_sin(n: int = 300, seed=413) -> np.ndarray:
    """A slow sine, sin(t/20), plus uniform noise U[-0.5, 0.5).

    Tests smoothing: a method with a long memory (momentum, Adam's first
    moment) follows the sine and averages the noise out; plain SGD passes the
    noise straight into its updates.

    The noise comes from ``numpy.random.default_rng(seed)``. The seed article
    drew it from numpy's legacy global ``RandomState(413)``, so its noise
    values differ from these, but the distribution is the same. With the same
    ``seed``, :func:`noisy_sin` and :func:`very_noisy_sin` share the same noise
    values (the article drew them one after the other from one stream).

    >>> x = noisy_sin(300, seed=0)
    >>> x.shape, bool(np.all(np.abs(x - np.sin(np.arange(300) / 20)) <= 0.5))
    ((300,), True)
    """
    t = _steps(n)
    return np.sin(t / 20) + _uniform_noise(len(t), seed)


def very_noisy_sin(n: int = 300, seed=413) -> np.ndarray:
    """A faint sine, sin(t/20)/5, under uniform noise U[-0.5, 0.5) that is larger.

    Tests whether a method can find a weak trend buried in noise: only a long
    average reveals the sign of the mean gradient.

    The noise comes from ``numpy.random.default_rng(seed)``. The seed article
    drew it from numpy's legacy global ``RandomState(413)``, so its noise
    values differ from these, but the distribution is the same.

    >>> np.array_equal(very_noisy_sin(5, seed=1), very_noisy_sin(5, seed=1))
    True
    """
    t = _steps(n)
    return np.sin(t / 20) / 5 + _uniform_noise(len(t), seed)


def uneven_sawtooth(n: int = 300) -> np.ndarray:
    """Sawtooth teeth of period 20: (t % 20) / 5 up to t = 80, then (t % 20) / 20.

    The teeth are four times lower after step 80. Tests how fast a method
    whose step adapts to the gradient's scale (RMSProp, Adadelta, Adam) recovers
    its step size when the gradients shrink, and how Adagrad, which never
    forgets, does not.

    >>> uneven_sawtooth(101)[[1, 19, 20, 80, 81, 99]]
    array([0.2 , 3.8 , 0.  , 0.  , 0.05, 0.95])
    """
    t = _steps(n)
    return (t % 20) / np.where(t > 80, 20.0, 5.0)


def saturation(n: int = 300) -> np.ndarray:
    """A gradient of 1 for 40 steps, then 0 for 40 steps (period 80).

    Tests a long constant push followed by a flat stretch: how far momentum
    carries on, and how an adaptive method's step grows (or not) while the
    gradient stays the same.

    >>> saturation(81)[[0, 39, 40, 79, 80]]
    array([1., 1., 0., 0., 1.])
    """
    t = _steps(n)
    return (t % 80 < 40).astype(float)


#: The six signals by name, in the order the chapters plot them.
SIGNALS = {f.__name__: f for f in (spikes, rectangles, noisy_sin, very_noisy_sin,
                                   uneven_sawtooth, saturation)}

#: A one-line title per signal, for plot labels.
TITLES = {
    "spikes": "Spikes: a gradient of 1 every 60 steps",
    "rectangles": "Rectangles: a square wave of +1 and -1, period 40",
    "noisy_sin": "Noisy sine: sin(t/20) plus uniform noise",
    "very_noisy_sin": "Very noisy sine: sin(t/20)/5 plus uniform noise",
    "uneven_sawtooth": "Uneven sawtooth: teeth four times lower after step 80",
    "saturation": "Saturation: 1 for 40 steps, then 0 for 40 steps",
}


def from_formula(formula: str, n: int = 300) -> np.ndarray:
    """Your own signal: ``n`` gradient values from a formula in the step ``t``.

    ``formula`` is read by :mod:`optlib.formula` (never by ``eval``) and may use
    only the step t, numbers, ``+ - * / ** %``, parentheses, the functions
    sin, cos, tan, exp, log, sqrt, abs, tanh, floor, the constants pi and e,
    and comparisons ``< <= > >= == !=``, worth 1 where true and 0 elsewhere,
    as the seed article's own signals use them. It is evaluated at
    t = 0, 1, ..., n-1. A formula outside the vocabulary, one that does not
    depend on t, or one that is not finite at some step raises ValueError
    naming ``formula``, what is wrong and what is allowed. The first call
    loads sympy (``import optlib`` does not).

    >>> np.array_equal(from_formula("t % 60 == 0", 300), spikes(300))
    True
    >>> from_formula("2*(t % 40 < 20) - 1", 41)[[0, 19, 20, 40]]
    array([ 1.,  1., -1.,  1.])
    """
    from .formula import signal_values          # sympy loads here, on first use
    return signal_values(formula, len(_steps(n)))


def get(name: str, n: int = 300, **kw) -> np.ndarray:
    """The signal called ``name``, with ``n`` values (extra keywords such as ``seed`` are passed on).

    >>> get("saturation", 3)
    array([1., 1., 1.])
    >>> get("square")
    Traceback (most recent call last):
    ...
    ValueError: unknown signal 'square'; allowed names: 'spikes', 'rectangles', 'noisy_sin', 'very_noisy_sin', 'uneven_sawtooth', 'saturation'
    """
    if not isinstance(name, str) or name not in SIGNALS:
        allowed = ", ".join(repr(k) for k in SIGNALS)
        raise ValueError(f"unknown signal {name!r}; allowed names: {allowed}")
    return SIGNALS[name](n, **kw)
