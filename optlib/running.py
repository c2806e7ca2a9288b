"""Run an optimizer: a whole trajectory, or its response to a 1D gradient signal."""
from __future__ import annotations

import numpy as np

from .optimizers import Optimizer, _as_params, _count

__all__ = ["run", "respond"]


def _check_optimizer(opt):
    if not isinstance(opt, Optimizer):
        raise ValueError(f"opt must be an optlib optimizer such as optlib.adam(), got {opt!r}")


def run(opt: Optimizer, grad, x0, steps: int) -> np.ndarray:
    """Take ``steps`` steps from ``x0``; return the trajectory, shape ``(steps + 1, *x0.shape)``.

    Row 0 is ``x0``. Divergence does not raise: once an iterate overflows, the
    non-finite values stay in the trajectory (numpy's overflow warnings are
    silenced), so a plot can show the run as diverged.

    >>> import numpy as np, optlib
    >>> optlib.run(optlib.sgd(lr=0.25), lambda x: 2 * x, np.array([1.0]), 3)[:, 0]
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    _check_optimizer(opt)
    steps = _count("steps", steps)
    x = _as_params(x0)
    path = np.empty((steps + 1,) + x.shape)
    path[0] = x
    with np.errstate(all="ignore"):
        state = opt.init(x)
        for t in range(1, steps + 1):
            x, state = opt.step(x, state, grad)
            path[t] = x
    return path


def _interpolate(signal: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Linear interpolation of the signal at (possibly fractional) times.

    Before time 0 the signal holds its first value, after the last sample its
    last value; non-finite times give nan.
    """
    n = len(signal)
    time = np.asarray(time, dtype=float)
    finite = np.isfinite(time)
    tc = np.clip(np.where(finite, time, 0.0), 0.0, n - 1)
    lo = np.floor(tc).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = tc - lo
    # on a sample (frac = 0) read it exactly, whatever its neighbour holds (0 * inf is nan)
    value = np.where(frac == 0, signal[lo], signal[lo] + frac * (signal[hi] - signal[lo]))
    return np.where(finite, value, np.nan)


def respond(opt: Optimizer, signal, time_scale: float = 1.0) -> np.ndarray:
    """The update ``opt`` makes at each step when the gradient follows ``signal``.

    ``signal[t]`` is the gradient at step t. The returned array holds, for each
    step, the amount subtracted from the parameter (``x[t] - x[t+1]``), so a
    positive gradient gives a positive update, as in the book's response plots.

    Look-ahead on a signal. The gradient here is a function of time, not of
    position. A method that evaluates the gradient at a point ``y`` other than
    the current iterate ``x`` (Nesterov's ``y = x - gamma v``) reads the signal
    ``(x - y) * time_scale`` steps ahead of now, linearly interpolated between
    samples (and held at its last value past the end). With the default
    ``time_scale = 1`` one unit of parameter displacement is one step, which is
    the seed article's convention. Methods that evaluate at ``x`` read
    ``signal[t]`` exactly.

    >>> import numpy as np, optlib
    >>> optlib.respond(optlib.momentum(lr=1.0, gamma=0.5), np.array([1.0, 0.0, 0.0]))
    array([1.  , 0.5 , 0.25])
    """
    _check_optimizer(opt)
    signal = np.asarray(signal, dtype=float)
    if signal.ndim != 1 or len(signal) == 0:
        raise ValueError(f"signal must be a non-empty 1D array, got shape {signal.shape}")
    time_scale = float(time_scale)
    x = np.zeros(())
    updates = np.empty(len(signal))
    with np.errstate(all="ignore"):
        state = opt.init(x)
        for t in range(len(signal)):
            here = x

            def grad(y, here=here, t=t):
                offset = (here - np.asarray(y)) * time_scale
                return _interpolate(signal, t + offset)

            x_new, state = opt.step(x, state, grad)
            updates[t] = x - x_new
            x = x_new
    return updates
