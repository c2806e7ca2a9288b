r"""Learning-rate schedules: the lr as a function of the step t = 1, 2, ...

Each helper returns a :class:`Schedule`, a callable ``schedule(t) -> lr`` that
prints as the call that builds it. Pass one to :func:`optlib.scheduled`::

    opt = optlib.scheduled(optlib.sgd, inverse_time(lr0=0.1, decay=0.05))

- :func:`constant`: :math:`\eta_t = \eta`.
- :func:`inverse_time`: :math:`\eta_t = \eta_0 / (1 + d\, t)`, which meets the
  Robbins-Monro conditions :math:`\sum \eta_t = \infty`, :math:`\sum \eta_t^2 < \infty`.
- :func:`step_decay`: :math:`\eta_t = \eta_0\, f^{\lfloor (t-1)/k \rfloor}`,
  the lr multiplied by f every k steps.
- :func:`cosine`: half a cosine from :math:`\eta_0` down to a floor over a
  budget of steps (Loshchilov and Hutter's SGDR without restarts).
- :func:`warmup_cosine`: a linear warm-up from :math:`\eta_0 / w` to
  :math:`\eta_0` over w steps, then the cosine: today's common baseline for
  AdamW and NAdamW.
- :func:`inverse_sqrt`: :math:`\eta_0/\sqrt t`, the decay of the convergence
  theorems of Adam and AMSGrad; with a warm-up, the Transformer's schedule.

Any function of t works as a schedule too (``lambda t: 0.1 / t ** 0.5``);
these only add a readable name.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable

from .optimizers import _count, _nonnegative, _positive, _real

__all__ = ["Schedule", "constant", "inverse_time", "step_decay", "cosine", "warmup_cosine",
           "inverse_sqrt"]


class Schedule:
    """A learning rate as a function of the step t = 1, 2, ...; prints as its call."""

    __slots__ = ("name", "params", "_rule")

    def __init__(self, name: str, params: dict, rule: Callable[[int], float]):
        self.name = name
        self.params = dict(params)
        self._rule = rule

    def __call__(self, t: int) -> float:
        return self._rule(t)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


def constant(lr: float) -> Schedule:
    """The same lr at every step.

    >>> s = constant(0.1)
    >>> s, s(1), s(1000)
    (constant(lr=0.1), 0.1, 0.1)
    """
    lr = _positive("lr", lr)
    return Schedule("constant", {"lr": lr}, lambda t: lr)


def inverse_time(lr0: float, decay: float) -> Schedule:
    r"""Inverse-time decay, :math:`\eta_t = \eta_0 / (1 + d\, t)` with d = ``decay``.

    Step 1 already uses :math:`\eta_0/(1 + d)`. For large t the lr falls like
    :math:`1/t`, the classic Robbins-Monro choice.

    >>> s = inverse_time(lr0=0.5, decay=1.0)
    >>> s, s(1), s(3)
    (inverse_time(lr0=0.5, decay=1.0), 0.25, 0.125)
    """
    lr0 = _positive("lr0", lr0)
    decay = _nonnegative("decay", decay)
    return Schedule("inverse_time", {"lr0": lr0, "decay": decay},
                    lambda t: lr0 / (1 + decay * t))


def step_decay(lr0: float, factor: float, every: int) -> Schedule:
    r"""Multiply the lr by ``factor`` every ``every`` steps.

    :math:`\eta_t = \eta_0 f^{\lfloor (t-1)/k \rfloor}` with f = ``factor``,
    k = ``every``: steps 1 to k use :math:`\eta_0`, steps k+1 to 2k use
    :math:`f \eta_0`, and so on (torch's ``StepLR(step_size=every, gamma=factor)``,
    stepped once per step).

    >>> s = step_decay(lr0=1.0, factor=0.5, every=2)
    >>> s, [s(t) for t in range(1, 6)]
    (step_decay(lr0=1.0, factor=0.5, every=2), [1.0, 1.0, 0.5, 0.5, 0.25])
    """
    lr0 = _positive("lr0", lr0)
    allowed = "in (0, 1]"
    factor_value = _real("factor", factor, allowed)
    if not (0.0 < factor_value <= 1.0):
        raise ValueError(f"factor must be {allowed}, got {factor!r}")
    every = _count("every", every)
    return Schedule("step_decay", {"lr0": lr0, "factor": factor_value, "every": every},
                    lambda t: lr0 * factor_value ** ((t - 1) // every))


def _cosine_value(lr0: float, lr_min: float, k: int, total: int) -> float:
    """lr_min + (lr0 - lr_min) (1 + cos(pi k / total)) / 2, with k held at total - 1 after the end."""
    k = min(k, total - 1)
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * k / total)) / 2


def _floor(lr_min, lr0) -> float:
    allowed = f"finite, >= 0 and < lr0 = {lr0!r}"
    value = _real("lr_min", lr_min, allowed)
    if not (math.isfinite(value) and 0 <= value < lr0):
        raise ValueError(f"lr_min must be {allowed}, got {lr_min!r}")
    return value


def cosine(lr0: float, total: int, lr_min: float = 0.0) -> Schedule:
    r"""Cosine decay from ``lr0`` towards ``lr_min`` over ``total`` steps.

    :math:`\eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,\tfrac12\big(1 + \cos(\pi (t-1)/T)\big)`
    for :math:`t = 1, \dots, T` (T = ``total``): step 1 uses :math:`\eta_0`, step
    T is just above :math:`\eta_{\min}`. Steps after T keep step T's lr, which stays
    positive even for ``lr_min = 0``. torch: ``CosineAnnealingLR(T_max=total,
    eta_min=lr_min)`` stepped once per step, for the first T steps.

    >>> s = cosine(lr0=1.0, total=4)
    >>> s, [round(s(t), 4) for t in range(1, 7)]
    (cosine(lr0=1.0, total=4, lr_min=0.0), [1.0, 0.8536, 0.5, 0.1464, 0.1464, 0.1464])
    """
    lr0 = _positive("lr0", lr0)
    total = _count("total", total)
    lr_min = _floor(lr_min, lr0)
    return Schedule("cosine", {"lr0": lr0, "total": total, "lr_min": lr_min},
                    lambda t: _cosine_value(lr0, lr_min, t - 1, total))


def warmup_cosine(lr0: float, warmup: int, total: int, lr_min: float = 0.0) -> Schedule:
    r"""A linear warm-up over ``warmup`` steps, then cosine decay until step ``total``.

    :math:`\eta_t = \eta_0\, t / w` for :math:`t \le w` (w = ``warmup``), then
    :func:`cosine` over the remaining :math:`T - w` steps, starting from
    :math:`\eta_0` at step :math:`w + 1`. The warm-up keeps the first steps
    small while an adaptive method's second moment is still an estimate from a
    few gradients (Goyal et al. 2017 for SGD; for Adam, Liu et al. 2020).

    >>> s = warmup_cosine(lr0=1.0, warmup=2, total=6)
    >>> s, [round(s(t), 4) for t in range(1, 8)]
    (warmup_cosine(lr0=1.0, warmup=2, total=6, lr_min=0.0), [0.5, 1.0, 1.0, 0.8536, 0.5, 0.1464, 0.1464])
    """
    lr0 = _positive("lr0", lr0)
    warmup = _count("warmup", warmup)
    total = _count("total", total)
    if total <= warmup:
        raise ValueError(f"total must be > warmup = {warmup}, got {total!r}")
    lr_min = _floor(lr_min, lr0)

    def rule(t):
        if t <= warmup:
            return lr0 * t / warmup
        return _cosine_value(lr0, lr_min, t - warmup - 1, total - warmup)

    return Schedule("warmup_cosine", {"lr0": lr0, "warmup": warmup, "total": total,
                                      "lr_min": lr_min}, rule)


def inverse_sqrt(lr0: float, warmup: int = 0) -> Schedule:
    r"""Inverse square-root decay, :math:`\eta_t = \eta_0/\sqrt t`, after an optional warm-up.

    With ``warmup = 0`` (the default), :math:`\eta_t = \eta_0 / \sqrt t` from step 1:
    the :math:`\alpha/\sqrt t` of the convergence theorems of Adam (Kingma and Ba
    2015) and AMSGrad (Reddi et al. 2018). With ``warmup = w >= 1``,
    :math:`\eta_t = \eta_0 \min(t/w, \sqrt{w/t})`: a linear warm-up to
    :math:`\eta_0` at step w, then the same decay, continuous at step w (the
    schedule of Vaswani et al. 2017, up to its constant factor).

    >>> s = inverse_sqrt(lr0=1.0)
    >>> s, [s(t) for t in (1, 4, 16)]
    (inverse_sqrt(lr0=1.0, warmup=0), [1.0, 0.5, 0.25])
    >>> w = inverse_sqrt(lr0=1.0, warmup=4)
    >>> [w(t) for t in (1, 2, 4, 16)]
    [0.25, 0.5, 1.0, 0.5]
    """
    lr0 = _positive("lr0", lr0)
    if isinstance(warmup, bool) or not isinstance(warmup, numbers.Integral) or warmup < 0:
        raise ValueError(f"warmup must be an integer >= 0, got {warmup!r}")
    warmup = int(warmup)

    def rule(t):
        if t <= warmup:
            return lr0 * t / warmup
        return lr0 * math.sqrt(max(warmup, 1) / t)

    return Schedule("inverse_sqrt", {"lr0": lr0, "warmup": warmup}, rule)
