r"""Learning-rate schedules: the lr as a function of the step t = 1, 2, ...

Each helper returns a :class:`Schedule`, a callable ``schedule(t) -> lr`` that
prints as the call that builds it. Pass one to :func:`optlib.scheduled`::

    opt = optlib.scheduled(optlib.sgd, inverse_time(lr0=0.1, decay=0.05))

- :func:`constant`: :math:`\eta_t = \eta`.
- :func:`inverse_time`: :math:`\eta_t = \eta_0 / (1 + d\, t)`, which meets the
  Robbins-Monro conditions :math:`\sum \eta_t = \infty`, :math:`\sum \eta_t^2 < \infty`.
- :func:`step_decay`: :math:`\eta_t = \eta_0\, f^{\lfloor (t-1)/k \rfloor}`,
  the lr multiplied by f every k steps.

Any function of t works as a schedule too (``lambda t: 0.1 / t ** 0.5``);
these only add a readable name.
"""
from __future__ import annotations

from typing import Callable

from .optimizers import _count, _nonnegative, _positive, _real

__all__ = ["Schedule", "constant", "inverse_time", "step_decay"]


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
