r"""Convergence theory on quadratics, for checking simulations against formulas.

On a quadratic :math:`f(x) = \tfrac12 x^\top H x` every method of the momentum
family acts on each eigen-direction of :math:`H` (curvature :math:`\lambda`)
separately and linearly. Writing the recurrence for one coordinate:

.. math::
    \text{gd:}       \quad x_t = (1 - \eta\lambda)\, x_{t-1}

    \text{momentum:} \quad x_t = (1 + \gamma - \eta\lambda)\, x_{t-1} - \gamma\, x_{t-2}

    \text{nesterov:} \quad x_t = (1 + \gamma)(1 - \eta\lambda)\, x_{t-1} - \gamma (1 - \eta\lambda)\, x_{t-2}

A two-term recurrence :math:`x_t = \alpha_1 x_{t-1} - \alpha_0 x_{t-2}` shrinks like
:math:`|z|^t`, where :math:`z` is the larger (in modulus) root of
:math:`z^2 - \alpha_1 z + \alpha_0 = 0`. The *rate* of a method is that modulus, maximised
over the curvatures present: below 1 the method converges, the error shrinking
by the rate per step (asymptotically); at or above 1 it does not.

All functions broadcast over array arguments, so a whole (lr, gamma) grid is
one call (the heat maps of the momentum chapter).
"""
from __future__ import annotations

import numpy as np

__all__ = ["recurrence", "rate", "steps_to_reach", "optimal_gd", "optimal_momentum",
           "critical_gamma", "gd_stability_limit", "stability_limit"]

METHODS = ("gd", "momentum", "nesterov")


def _method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return method


def recurrence(method: str, lr, gamma, curvature):
    """Coefficients ``(alpha_1, alpha_0)`` of ``x_t = alpha_1 x_{t-1} - alpha_0 x_{t-2}`` for one curvature.

    >>> [float(a) for a in recurrence("momentum", 0.1, 0.5, 2.0)]
    [1.3, 0.5]
    """
    _method(method)
    h = np.multiply(lr, curvature)
    if method == "gd":
        return 1 - h, np.zeros_like(h)
    if method == "momentum":
        return 1 + np.asarray(gamma) - h, np.asarray(gamma) * np.ones_like(h)
    return (1 + np.asarray(gamma)) * (1 - h), np.asarray(gamma) * (1 - h)


def _root_modulus(b, c):
    """Largest modulus of the roots of z^2 - b z + c (complex arithmetic)."""
    b = np.asarray(b, dtype=complex)
    disc = np.sqrt(b * b - 4 * np.asarray(c, dtype=complex))
    return np.maximum(np.abs((b + disc) / 2), np.abs((b - disc) / 2))


def rate(method: str, lr, gamma=0.0, curvatures=(1.0,)):
    r"""Asymptotic error shrink factor per step, maximised over ``curvatures``.

    ``lr`` and ``gamma`` may be arrays (they broadcast); ``curvatures`` is the
    list of eigenvalues of the quadratic. A value >= 1 means no convergence.

    >>> float(rate("gd", 0.5, curvatures=[1.0, 3.0]))   # max(|1-0.5|, |1-1.5|)
    0.5
    >>> round(float(rate("momentum", 0.1, 0.81, curvatures=[1.0])), 12)  # complex roots: sqrt(gamma)
    0.9
    """
    _method(method)
    lam = np.asarray(curvatures, dtype=float)
    lr_b, gamma_b = np.broadcast_arrays(np.asarray(lr, float), np.asarray(gamma, float))
    out = np.zeros(lr_b.shape)
    for l in lam.ravel():
        b, c = recurrence(method, lr_b, gamma_b, l)
        out = np.maximum(out, _root_modulus(b, c))
    return out


def steps_to_reach(r, tolerance: float = 1e-6):
    """Steps for an error shrinking by ``r`` per step to fall by ``tolerance``; inf if r >= 1.

    >>> float(steps_to_reach(0.5, 1e-3))   # 0.5**10 < 1e-3
    10.0
    """
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.ceil(np.log(tolerance) / np.log(r))
    return np.where(r < 1, np.where(r <= 0, 1.0, n), np.inf)


def gd_stability_limit(L: float) -> float:
    """Gradient descent converges on every quadratic of largest curvature L iff lr < 2 / L."""
    return stability_limit("gd") / L


def optimal_gd(mu: float, L: float):
    r"""The lr minimising gradient descent's rate, and that rate: ``2/(L+mu)``, ``(k-1)/(k+1)``.

    >>> optimal_gd(1.0, 9.0)
    (0.2, 0.8)
    """
    return 2.0 / (L + mu), (L - mu) / (L + mu)


def optimal_momentum(mu: float, L: float):
    r"""Polyak's optimal heavy-ball parameters on a quadratic with curvatures in [mu, L].

    .. math::
        \eta^* = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \quad
        \gamma^* = \left(\frac{\sqrt L - \sqrt\mu}{\sqrt L + \sqrt\mu}\right)^2, \quad
        \text{rate} = \sqrt{\gamma^*} = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}

    Returns ``(lr, gamma, rate)``.

    >>> optimal_momentum(1.0, 9.0)
    (0.25, 0.25, 0.5)
    """
    sl, sm = np.sqrt(L), np.sqrt(mu)
    g = ((sl - sm) / (sl + sm)) ** 2
    return float(4.0 / (sl + sm) ** 2), float(g), float(np.sqrt(g))


def critical_gamma(lr, curvature):
    r"""The momentum at which one direction is critically damped: :math:`(1 - \sqrt{\eta\lambda})^2`.

    For :math:`0 < \eta\lambda < 1`, below it the coordinate creeps to 0 without
    oscillating (real positive roots); above it, it spirals in with rate
    :math:`\sqrt\gamma` (complex roots). For :math:`1 < \eta\lambda < 4` the same
    formula gives the other edge of the complex region: below it the roots are
    real and negative (the coordinate flips sign every step).

    >>> float(critical_gamma(0.25, 1.0))
    0.25
    """
    return (1 - np.sqrt(np.multiply(lr, curvature))) ** 2


def stability_limit(method: str, gamma=0.0):
    r"""The largest :math:`\eta\lambda` at which ``method`` still converges.

    .. math::
        \text{gd: } 2, \qquad \text{momentum: } 2(1+\gamma), \qquad
        \text{nesterov: } \frac{2(1+\gamma)}{1+2\gamma}

    Derivation. The recurrence
    :math:`x_t = \alpha_1 x_{t-1} - \alpha_0 x_{t-2}` of :func:`recurrence` converges
    iff both roots of :math:`z^2 - \alpha_1 z + \alpha_0` lie inside the unit circle,
    which for real coefficients holds iff :math:`|\alpha_0| < 1` and
    :math:`|\alpha_1| < 1 + \alpha_0` (Jury's test); at the limit a root sits at
    :math:`z = -1`, the iterate flipping sign every step.

    - gd: :math:`\alpha_1 = 1 - \eta\lambda`, :math:`\alpha_0 = 0`, so
      :math:`|1 - \eta\lambda| < 1`: :math:`0 < \eta\lambda < 2`.
    - momentum: :math:`\alpha_1 = 1 + \gamma - \eta\lambda`, :math:`\alpha_0 = \gamma < 1`,
      so :math:`|1 + \gamma - \eta\lambda| < 1 + \gamma`: :math:`0 < \eta\lambda < 2(1+\gamma)`.
    - nesterov: :math:`\alpha_1 = (1+\gamma)(1-\eta\lambda)`,
      :math:`\alpha_0 = \gamma(1-\eta\lambda)`. For :math:`\eta\lambda \le 1`,
      :math:`\alpha_1 < 1 + \alpha_0` is :math:`1 - \eta\lambda < 1`, true for
      :math:`\eta\lambda > 0`. For :math:`\eta\lambda > 1`, :math:`-\alpha_1 < 1 + \alpha_0`
      reads :math:`(1+\gamma)(\eta\lambda - 1) < 1 - \gamma(\eta\lambda - 1)`,
      i.e. :math:`\eta\lambda - 1 < 1/(1+2\gamma)` (and then
      :math:`|\alpha_0| < 1`), so :math:`\eta\lambda < 2(1+\gamma)/(1+2\gamma)`.

    Momentum stretches the stable range up to 4 as :math:`\gamma \to 1`;
    Nesterov's look-ahead shrinks it back towards 4/3. The lr limit on a
    problem of largest curvature L is ``stability_limit(method, gamma) / L``.
    ``gamma`` (ignored by gd) must lie in [0, 1) and may be an array.

    >>> stability_limit("gd"), stability_limit("momentum", 0.5), stability_limit("nesterov", 0.5)
    (2.0, 3.0, 1.5)
    >>> stability_limit("nesterov", [0.0, 0.9]).round(4)
    array([2.    , 1.3571])
    """
    _method(method)
    g = np.asarray(gamma, dtype=float)
    if not np.all((0.0 <= g) & (g < 1.0)):
        raise ValueError(f"gamma must be in [0, 1), got {gamma!r}")
    if method == "gd":
        limit = np.full(g.shape, 2.0)
    elif method == "momentum":
        limit = 2 * (1 + g)
    else:
        limit = 2 * (1 + g) / (1 + 2 * g)
    return float(limit) if limit.ndim == 0 else limit

