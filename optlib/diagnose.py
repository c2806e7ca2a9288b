r"""Reading a loss curve: a coarse diagnosis, and the noise floor of SGD on a quadratic.

- :func:`classify_curve`: one of ``"diverging"``, ``"plateau"``,
  ``"oscillating"``, ``"noise floor"``, ``"converging"`` for a sequence of
  losses, by a few fixed rules on the whole run and on its second half.
- :func:`noise_floor`: the expected loss above the minimum at which SGD (or
  heavy-ball momentum) with a constant learning rate settles on a quadratic
  whose gradients carry independent noise.

Chapter 12 derives both and shows each behaviour on a real run. The rules of
:func:`classify_curve` are a heuristic with thresholds chosen for curves of a
few hundred steps; they say what a curve looks like, not why.
"""
from __future__ import annotations

import numpy as np

from .optimizers import _decay, _nonnegative, _positive

__all__ = ["classify_curve", "noise_floor", "CURVE_KINDS"]

#: The answers of :func:`classify_curve`, in the order its rules test them.
CURVE_KINDS = ("diverging", "plateau", "oscillating", "noise floor", "converging")


def classify_curve(losses, stuck: float = 0.9, still_falling: float = 0.5,
                   rising: float = 0.2) -> str:
    r"""Say what a loss curve looks like; ``losses[t]`` is the loss after t steps.

    With :math:`f_0, \dots, f_T` the losses (at least 8 of them), the rules, in
    this order:

    1. ``"diverging"``: some :math:`f_t` is not finite, or :math:`f_T > f_0`
       (the run ends above where it started).
    2. ``"plateau"``: :math:`f_T > \text{stuck} \cdot f_0`: the whole run
       removed less than 10 % of the loss (``stuck = 0.9``).
    3. Otherwise look at the second half, steps :math:`h = \lfloor T/2 \rfloor`
       to :math:`T`, split at :math:`q = \lfloor 3T/4 \rfloor` into a third and
       a fourth quarter. ``ratio`` is the mean of :math:`f_q, \dots, f_T` over
       the mean of :math:`f_h, \dots, f_{q-1}` (0 if that mean is 0), and
       ``ups`` the fraction of the steps :math:`t = h+1, \dots, T` with
       :math:`f_t > f_{t-1}`.
    4. If ``ratio < still_falling`` (the loss still falls by more than half
       from one quarter to the next): ``"oscillating"`` if ``ups >= rising``,
       else ``"converging"``.
    5. Otherwise (the fall has stopped or slowed): ``"noise floor"`` if
       ``ups >= rising``, else ``"converging"`` (a smooth, slow descent).

    ``losses`` should be the loss above its minimum where that is known, so
    that a run which converges does not look flat.

    >>> classify_curve(0.5 ** np.arange(40))
    'converging'
    >>> classify_curve(2.0 ** np.arange(40))
    'diverging'
    >>> classify_curve(np.full(40, 3.0))
    'plateau'
    """
    f = np.asarray(losses, dtype=float)
    if f.ndim != 1 or len(f) < 8:
        raise ValueError(f"losses must be a 1D sequence of at least 8 values, got shape {f.shape}")
    stuck = _positive("stuck", stuck)
    still_falling = _positive("still_falling", still_falling)
    rising = _nonnegative("rising", rising)
    if not np.isfinite(f).all() or f[-1] > f[0]:
        return "diverging"
    if f[-1] > stuck * f[0]:
        return "plateau"
    T = len(f) - 1
    h, q = T // 2, (3 * T) // 4
    third, fourth = f[h:q].mean(), f[q:].mean()
    ratio = fourth / third if third != 0 else 0.0
    ups = float(np.mean(np.diff(f[h:]) > 0))
    if ratio < still_falling:
        return "oscillating" if ups >= rising else "converging"
    return "noise floor" if ups >= rising else "converging"


def noise_floor(lr, curvatures, sigma, gamma=0.0):
    r"""The stationary expected excess loss of SGD or momentum on a noisy quadratic.

    The loss is :math:`f(x) = \tfrac12 \sum_j \lambda_j e_j^2` in the
    eigen-coordinates :math:`e_j` of its Hessian (curvatures ``curvatures``),
    each gradient coordinate carries an independent noise of mean 0 and
    standard deviation ``sigma``, and the method is heavy-ball momentum
    :math:`v_t = \gamma v_{t-1} + \eta g_t`, :math:`x_t = x_{t-1} - v_t`
    (plain SGD for :math:`\gamma = 0`). Then, as :math:`t \to \infty`,

    .. math::
        \mathbb{E} f(x_t) - f(x^\ast) \to \sum_j
        \frac{(1+\gamma)\, \eta\, \sigma^2}{2 (1-\gamma) \big(2(1+\gamma) - \eta\lambda_j\big)},

    which is :math:`\sum_j \eta\sigma^2 / (2(2 - \eta\lambda_j))` for SGD and
    about :math:`d\,\eta\sigma^2 / (4(1-\gamma))` when every
    :math:`\eta\lambda_j` is small. It is ``inf`` when some
    :math:`\eta\lambda_j \ge 2(1+\gamma)`, where the run diverges. ``lr`` may
    be an array (the answer then has its shape).

    >>> round(float(noise_floor(0.1, [1.0], 1.0)), 12)     # 0.1 / (2 * 1.9)
    0.026315789474
    >>> float(noise_floor(0.25, [10.0], 1.0))
    inf
    """
    gamma = _decay("gamma", gamma)
    sigma = _nonnegative("sigma", sigma)
    lam = np.asarray(curvatures, dtype=float).ravel()
    if lam.size == 0 or not np.all(np.isfinite(lam) & (lam > 0)):
        raise ValueError(f"curvatures must be finite and > 0, got {curvatures!r}")
    eta = np.asarray(lr, dtype=float)
    if not np.all(np.isfinite(eta) & (eta > 0)):
        raise ValueError(f"lr must be finite and > 0, got {lr!r}")
    margin = 2 * (1 + gamma) - eta[..., None] * lam            # (..., d)
    with np.errstate(divide="ignore"):
        per = np.where(margin > 0, (1 + gamma) * eta[..., None] * sigma ** 2
                       / (2 * (1 - gamma) * np.where(margin > 0, margin, 1.0)), np.inf)
    return per.sum(axis=-1)
