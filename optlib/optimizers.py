r"""First-order optimizers as pairs of pure functions.

Every factory in this module validates its hyperparameters and returns an
:class:`Optimizer` with two pure methods::

    opt = adam(lr=0.01)
    state = opt.init(x0)                  # x0: float array of any shape
    x, state = opt.step(x, state, grad)   # grad: callable, grad(x) -> array shaped like x

``step`` decides where to evaluate ``grad`` (Nesterov evaluates it at the
look-ahead point) and never modifies its inputs.  All rules act elementwise, so
an array of shape ``(N, 2)`` runs N independent 2D problems at once.

Notation (the book's notation appendix uses the same symbols): :math:`x_t`
parameters after t steps, :math:`g_t` the gradient used at step t,
:math:`\eta` = ``lr``, :math:`\gamma` = ``gamma``, :math:`\beta_1, \beta_2` =
``beta1, beta2``, :math:`\epsilon` = ``eps``.  Steps count from t = 1.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

__all__ = [
    "Optimizer", "OPTIMIZERS", "VARIANTS", "FACTORIES", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
    "adam", "adamax", "nadam", "amsgrad", "adamw", "scheduled", "ScheduledOptimizer",
    "SgdState", "MomentumState", "AdagradState", "RmspropState", "RmspropMomentumState",
    "AdadeltaState", "AdamState", "AdamaxState", "NadamState", "AmsgradState",
    "adam_lp", "AdamLpState",
]

Array = np.ndarray
Grad = Callable[[Array], Array]


# --------------------------------------------------------------------------
# Validation helpers: every message names the parameter and its allowed range.
# --------------------------------------------------------------------------

def _real(name: str, value: Any, allowed: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be {allowed}, got {value!r} of type {type(value).__name__}")
    return float(value)


def _positive(name: str, value: Any) -> float:
    allowed = "finite and > 0"
    v = _real(name, value, allowed)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return v


def _decay(name: str, value: Any) -> float:
    allowed = "in [0, 1)"
    v = _real(name, value, allowed)
    if not (0.0 <= v < 1.0):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return v


def _nonnegative(name: str, value: Any) -> float:
    allowed = "finite and >= 0"
    v = _real(name, value, allowed)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return v


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _choice(name: str, value: Any, allowed: tuple) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def _as_params(x: Any) -> Array:
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise ValueError(f"x must be a real float array, got dtype {a.dtype}")
    return a.astype(np.float64, copy=True)


def _check_grad(grad: Any) -> None:
    if not callable(grad):
        raise ValueError(f"grad must be a callable grad(x) -> array, got {type(grad).__name__}")


def _gradient(grad: Grad, at: Array) -> Array:
    """Evaluate ``grad`` at ``at`` and check that it answers with the right shape."""
    g = np.asarray(grad(at), dtype=np.float64)
    if g.shape != at.shape:
        raise ValueError(
            f"grad returned an array of shape {g.shape}, but the parameters have shape "
            f"{at.shape}; grad(x) must return an array shaped like x")
    return g


# --------------------------------------------------------------------------
# The optimizer object
# --------------------------------------------------------------------------

class Optimizer:
    """An optimizer: a name, its hyperparameters, and the pure ``init``/``step`` pair.

    Build one with a factory (``optlib.adam(lr=0.01)``), never directly.
    Printing it shows the call that rebuilds it.
    """

    __slots__ = ("name", "hyperparams", "_init", "_update")

    def __init__(self, name: str, hyperparams: dict, init, update):
        self.name = name
        self.hyperparams = dict(hyperparams)
        self._init = init
        self._update = update

    def init(self, x0: Any) -> NamedTuple:
        """Return the state before the first step for parameters shaped like ``x0``."""
        return self._init(_as_params(x0))

    def step(self, x: Any, state: NamedTuple, grad: Grad):
        """Take one step from ``x``; return ``(new_x, new_state)``. Inputs are not modified."""
        _check_grad(grad)
        return self._update(_as_params(x), state, grad)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparams.items())
        return f"{self.name}({args})"

    def __getattr__(self, key):
        # opt.lr, opt.beta1, ... read the hyperparameters
        try:
            return object.__getattribute__(self, "hyperparams")[key]
        except KeyError:
            raise AttributeError(key) from None


# --------------------------------------------------------------------------
# States: one small NamedTuple per rule, fields named after the maths.
# --------------------------------------------------------------------------

class SgdState(NamedTuple):
    """t: steps taken."""
    t: int


class MomentumState(NamedTuple):
    """t: steps taken; v: velocity, the amount subtracted at the last step."""
    t: int
    v: Array


class AdagradState(NamedTuple):
    """t: steps taken; G: running sum of squared gradients."""
    t: int
    G: Array


class RmspropState(NamedTuple):
    """t: steps taken; E: moving average of squared gradients."""
    t: int
    E: Array


class RmspropMomentumState(NamedTuple):
    """t: steps taken; E: moving average of g^2; m: moving average of g (used when
    centered); b: torch's momentum buffer of the scaled gradients (used when momentum > 0)."""
    t: int
    E: Array
    m: Array
    b: Array


class AdadeltaState(NamedTuple):
    """t: steps taken; E: moving average of g^2; D: moving average of squared updates."""
    t: int
    E: Array
    D: Array


class AdamState(NamedTuple):
    """t: steps taken; m: first moment (mean of g); v: second moment (mean of g^2, the book's s_t)."""
    t: int
    m: Array
    v: Array


class AmsgradState(NamedTuple):
    """t: steps taken; m, v as in Adam; v_max: the largest v seen so far."""
    t: int
    m: Array
    v: Array
    v_max: Array


class AdamLpState(NamedTuple):
    """t: steps taken; m: first moment; u: the p-th root of the moving average of |g|^p."""
    t: int
    m: Array
    u: Array


class AdamaxState(NamedTuple):
    """t: steps taken; m: first moment; u: exponentially weighted infinity norm."""
    t: int
    m: Array
    u: Array


class NadamState(NamedTuple):
    """t: steps taken; m, v as in Adam; mu_product: product of the momentum schedule beta_{1,k}."""
    t: int
    m: Array
    v: Array
    mu_product: float


def _zeros_state(cls, n_arrays: int):
    def init(x):
        return cls(0, *(np.zeros_like(x) for _ in range(n_arrays)))
    return init


def _root(a: Array, eps: float, eps_inside_root: bool) -> Array:
    """sqrt(a) + eps, or sqrt(a + eps) when eps_inside_root."""
    return np.sqrt(a + eps) if eps_inside_root else np.sqrt(a) + eps


# --------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------

def sgd(lr: float = 1e-3) -> Optimizer:
    r"""Plain gradient descent.

    .. math::  x_t = x_{t-1} - \eta\, g_t, \qquad g_t = \nabla f(x_{t-1})

    The learning rate :math:`\eta` is ``lr``. torch: ``SGD(lr)``.

    >>> import numpy as np, optlib
    >>> opt = optlib.sgd(lr=0.1)
    >>> x0 = np.array([1.0])
    >>> x, state = opt.step(x0, opt.init(x0), lambda x: 2 * x)
    >>> x
    array([0.8])

    References: Cauchy (1847); Robbins and Monro (1951).
    """
    lr = _positive("lr", lr)

    def update(x, state, grad):
        g = _gradient(grad, x)
        return x - lr * g, SgdState(state.t + 1)

    return Optimizer("sgd", {"lr": lr}, lambda x: SgdState(0), update)


def momentum(lr: float = 1e-3, gamma: float = 0.9) -> Optimizer:
    r"""Gradient descent with (heavy-ball) momentum.

    .. math::
        v_t = \gamma\, v_{t-1} + \eta\, g_t, \qquad x_t = x_{t-1} - v_t,
        \qquad v_0 = 0

    ``lr`` is :math:`\eta`, ``gamma`` the momentum (friction) coefficient
    :math:`\gamma`. torch: ``SGD(lr, momentum=gamma)``, whose buffer is
    :math:`v_t / \eta`.

    >>> import numpy as np, optlib
    >>> opt = optlib.momentum(lr=0.1, gamma=0.5)
    >>> x, s = np.array([1.0]), opt.init(np.array([1.0]))
    >>> x, s = opt.step(x, s, lambda x: np.ones_like(x))
    >>> x, s = opt.step(x, s, lambda x: np.ones_like(x))
    >>> x, s.v     # v = 0.1, then 0.5 * 0.1 + 0.1
    (array([0.75]), array([0.15]))

    References: Polyak (1964); Rumelhart, Hinton and Williams (1986).
    """
    lr = _positive("lr", lr)
    gamma = _decay("gamma", gamma)

    def update(x, state, grad):
        g = _gradient(grad, x)
        v = gamma * state.v + lr * g
        return x - v, MomentumState(state.t + 1, v)

    return Optimizer("momentum", {"lr": lr, "gamma": gamma},
                     _zeros_state(MomentumState, 1), update)


def nesterov(lr: float = 1e-3, gamma: float = 0.9,
             lookahead_points: int = 1) -> Optimizer:
    r"""Nesterov's accelerated gradient, in its look-ahead form.

    .. math::
        v_t = \gamma\, v_{t-1} + \eta\, \nabla f(x_{t-1} - \gamma v_{t-1}),
        \qquad x_t = x_{t-1} - v_t

    The gradient is taken where momentum alone would carry the parameters.
    ``lr`` is :math:`\eta`, ``gamma`` is :math:`\gamma`.

    ``lookahead_points = K > 1`` is the seed article's smoothed look-ahead:
    the gradient is averaged over the K points
    :math:`x_{t-1} - \tfrac{k}{K}\gamma v_{t-1}`, k = 1..K, along the step
    (K = 1 is Nesterov's rule).

    torch: ``SGD(lr, momentum=gamma, nesterov=True)`` iterates the look-ahead
    points :math:`\tilde x_t = x_t - \gamma v_t`; the two forms are the same method.

    >>> import numpy as np, optlib
    >>> opt = optlib.nesterov(lr=0.1, gamma=0.5)
    >>> x, s = np.array([1.0]), opt.init(np.array([1.0]))
    >>> x, s = opt.step(x, s, lambda x: 2 * x)   # v = 0.2, x = 0.8
    >>> x, s = opt.step(x, s, lambda x: 2 * x)   # gradient at 0.8 - 0.1 = 0.7
    >>> x, s.v
    (array([0.56]), array([0.24]))

    References: Nesterov (1983); Sutskever, Martens, Dahl and Hinton (2013).
    """
    lr = _positive("lr", lr)
    gamma = _decay("gamma", gamma)
    K = _count("lookahead_points", lookahead_points)

    def update(x, state, grad):
        ahead = gamma * state.v
        if K == 1:
            g = _gradient(grad, x - ahead)
        else:
            g = sum(_gradient(grad, x - (k / K) * ahead)
                    for k in range(1, K + 1)) / K
        v = gamma * state.v + lr * g
        return x - v, MomentumState(state.t + 1, v)

    hp = {"lr": lr, "gamma": gamma}
    if K != 1:
        hp["lookahead_points"] = K
    return Optimizer("nesterov", hp, _zeros_state(MomentumState, 1), update)


def adagrad(lr: float = 0.01, eps: float = 1e-10, root: bool = True,
            eps_inside_root: bool = False, initial_accumulator_value: float = 0.0,
            lr_decay: float = 0.0, accumulate: str = "square") -> Optimizer:
    r"""Adagrad: per-coordinate steps scaled by the history of squared gradients.

    .. math::
        G_t = G_{t-1} + g_t^2, \qquad
        x_t = x_{t-1} - \frac{\eta}{\sqrt{G_t} + \epsilon}\, g_t, \qquad G_0 = 0

    ``lr`` is :math:`\eta`, ``eps`` is :math:`\epsilon`. torch:
    ``Adagrad(lr, lr_decay, eps=eps, initial_accumulator_value=...)``.

    Options (all off by default, so the rule above is Duchi et al.'s and torch's):

    - ``initial_accumulator_value`` :math:`G_0` (torch's keyword; TensorFlow's
      Adagrad starts from 0.1 with ``eps = 1e-7``);
    - ``lr_decay``: torch's :math:`\eta_t = \eta / (1 + (t-1)\,` ``lr_decay`` :math:`)`;
    - the seed article's "Adagrad family": ``root=False`` divides by
      :math:`G_t + \epsilon` (no square root); ``accumulate="abs"`` sums
      :math:`|g_t|` instead of :math:`g_t^2` (combine it with ``root=False`` for
      the dimensionless :math:`g_t / \sum |g|`); ``eps_inside_root=True``
      divides by :math:`\sqrt{G_t + \epsilon}` (the article's script).

    >>> import numpy as np, optlib
    >>> opt = optlib.adagrad(lr=0.5, eps=0.0)
    >>> x, s = opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([4.0]))
    >>> x, s.G       # step = 0.5 * 4 / sqrt(16)
    (array([0.5]), array([16.]))
    >>> opt = optlib.adagrad(lr=0.5, eps=0.0, initial_accumulator_value=9.0)
    >>> opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([4.0]))[0]
    array([0.6])

    Reference: Duchi, Hazan and Singer (2011).
    """
    lr = _positive("lr", lr)
    eps = _nonnegative("eps", eps)
    root = _flag("root", root)
    eps_inside_root = _flag("eps_inside_root", eps_inside_root)
    G0 = _nonnegative("initial_accumulator_value", initial_accumulator_value)
    lr_decay = _nonnegative("lr_decay", lr_decay)
    accumulate = _choice("accumulate", accumulate, ("square", "abs"))

    def init(x):
        return AdagradState(0, np.full_like(x, G0))

    def update(x, state, grad):
        g = _gradient(grad, x)
        G = state.G + (g * g if accumulate == "square" else np.abs(g))
        denom = _root(G, eps, eps_inside_root) if root else G + eps
        lr_t = lr / (1 + state.t * lr_decay) if lr_decay else lr
        return x - lr_t * g / denom, AdagradState(state.t + 1, G)

    hp = {"lr": lr, "eps": eps}
    if not root:
        hp["root"] = False
    if eps_inside_root:
        hp["eps_inside_root"] = True
    if G0:
        hp["initial_accumulator_value"] = G0
    if lr_decay:
        hp["lr_decay"] = lr_decay
    if accumulate != "square":
        hp["accumulate"] = accumulate
    return Optimizer("adagrad", hp, init, update)


def rmsprop(lr: float = 0.01, gamma: float = 0.99, eps: float = 1e-8,
            eps_inside_root: bool = False, momentum: float = 0.0,
            centered: bool = False) -> Optimizer:
    r"""RMSProp: divide by a moving root mean square of recent gradients.

    .. math::
        E_t = \gamma E_{t-1} + (1-\gamma)\, g_t^2, \qquad
        x_t = x_{t-1} - \frac{\eta}{\sqrt{E_t} + \epsilon}\, g_t, \qquad E_0 = 0

    ``lr`` is :math:`\eta`, ``gamma`` the decay :math:`\gamma`, ``eps`` is
    :math:`\epsilon`. torch: ``RMSprop(lr, alpha=gamma, eps=eps, momentum=..., centered=...)``.

    Options, as in torch (both off by default):

    - ``centered=True`` divides by the moving standard deviation instead:
      :math:`m_t = \gamma m_{t-1} + (1-\gamma) g_t` and the root of
      :math:`E_t - m_t^2` (Graves 2013);
    - ``momentum`` > 0 accumulates the scaled gradients in torch's buffer,
      :math:`b_t = \text{momentum}\cdot b_{t-1} + g_t / (\sqrt{E_t} + \epsilon)`,
      :math:`x_t = x_{t-1} - \eta\, b_t`; the state is then an
      :class:`RmspropMomentumState`.

    ``eps_inside_root=True`` divides by :math:`\sqrt{E_t + \epsilon}`, as the seed
    article, TensorFlow 1, Keras and optax (by default) do; torch adds it outside.

    >>> import numpy as np, optlib
    >>> opt = optlib.rmsprop(lr=0.1, gamma=0.75, eps=0.0)
    >>> x, s = opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([2.0]))
    >>> x, s.E       # E = 0.25 * 4 = 1, step = 0.1 * 2 / 1
    (array([0.8]), array([1.]))
    >>> opt = optlib.rmsprop(lr=0.1, gamma=0.75, eps=0.0, centered=True)
    >>> x, s = opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([2.0]))
    >>> x, s.m       # m = 0.5; E - m^2 = 0.75, step = 0.1 * 2 / sqrt(0.75)
    (array([0.76905989]), array([0.5]))

    Reference: Tieleman and Hinton (2012), Coursera lecture 6.5; Graves (2013).
    """
    lr = _positive("lr", lr)
    gamma = _decay("gamma", gamma)
    eps = _nonnegative("eps", eps)
    eps_inside_root = _flag("eps_inside_root", eps_inside_root)
    momentum = _decay("momentum", momentum)
    centered = _flag("centered", centered)

    hp = {"lr": lr, "gamma": gamma, "eps": eps}
    if eps_inside_root:
        hp["eps_inside_root"] = True
    if not momentum and not centered:
        def update(x, state, grad):
            g = _gradient(grad, x)
            E = gamma * state.E + (1 - gamma) * g * g
            return x - lr * g / _root(E, eps, eps_inside_root), RmspropState(state.t + 1, E)

        return Optimizer("rmsprop", hp, _zeros_state(RmspropState, 1), update)

    def update_full(x, state, grad):
        g = _gradient(grad, x)
        E = gamma * state.E + (1 - gamma) * g * g
        m = gamma * state.m + (1 - gamma) * g if centered else state.m
        denom = _root(E - m * m if centered else E, eps, eps_inside_root)
        if momentum:
            b = momentum * state.b + g / denom
            return x - lr * b, RmspropMomentumState(state.t + 1, E, m, b)
        return x - lr * g / denom, RmspropMomentumState(state.t + 1, E, m, state.b)

    if momentum:
        hp["momentum"] = momentum
    if centered:
        hp["centered"] = True
    return Optimizer("rmsprop", hp, _zeros_state(RmspropMomentumState, 3), update_full)


def adadelta(lr: float = 1.0, gamma: float = 0.9, eps: float = 1e-6,
             initial_delta_sq: float = 0.0) -> Optimizer:
    r"""Adadelta: RMSProp with the units fixed by a moving RMS of past updates.

    .. math::
        E_t = \gamma E_{t-1} + (1-\gamma)\, g_t^2, \qquad
        \Delta_t = \frac{\sqrt{D_{t-1} + \epsilon}}{\sqrt{E_t + \epsilon}}\, g_t,

        D_t = \gamma D_{t-1} + (1-\gamma)\, \Delta_t^2, \qquad
        x_t = x_{t-1} - \eta\, \Delta_t

    with :math:`E_0 = 0` and :math:`D_0` = ``initial_delta_sq`` (0 in Zeiler's paper
    and torch; the seed article starts from a large value). ``lr`` is
    :math:`\eta` (Zeiler has none, i.e. 1), ``gamma`` is :math:`\gamma`
    (Zeiler's :math:`\rho`), ``eps`` is :math:`\epsilon`.
    torch: ``Adadelta(lr, rho=gamma, eps=eps)``.

    >>> import numpy as np, optlib
    >>> opt = optlib.adadelta(lr=1.0, gamma=0.5, eps=1.0)
    >>> x, s = opt.step(np.array([0.0]), opt.init(np.array([0.0])), lambda x: np.array([4.0]))
    >>> x, s.E, s.D  # E = 8, step = sqrt(1) / sqrt(9) * 4, D = 0.5 * (4/3)**2
    (array([-1.33333333]), array([8.]), array([0.88888889]))

    Reference: Zeiler (2012).
    """
    lr = _positive("lr", lr)
    gamma = _decay("gamma", gamma)
    eps = _nonnegative("eps", eps)
    initial_delta_sq = _nonnegative("initial_delta_sq", initial_delta_sq)

    def init(x):
        return AdadeltaState(0, np.zeros_like(x), np.full_like(x, initial_delta_sq))

    def update(x, state, grad):
        g = _gradient(grad, x)
        E = gamma * state.E + (1 - gamma) * g * g
        delta = np.sqrt(state.D + eps) / np.sqrt(E + eps) * g
        D = gamma * state.D + (1 - gamma) * delta * delta
        return x - lr * delta, AdadeltaState(state.t + 1, E, D)

    hp = {"lr": lr, "gamma": gamma, "eps": eps}
    if initial_delta_sq:
        hp["initial_delta_sq"] = initial_delta_sq
    return Optimizer("adadelta", hp, init, update)


def _adam_moments(state, g, beta1, beta2):
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    return m, v


def _adam_hyperparams(lr, beta1, beta2, eps):
    return {"lr": _positive("lr", lr), "beta1": _decay("beta1", beta1),
            "beta2": _decay("beta2", beta2), "eps": _nonnegative("eps", eps)}


def _adam_rule(name, lr, beta1, beta2, eps, weight_decay, eps_inside_root, eps_hat=False):
    """Adam, and AdamW when weight_decay > 0 (decoupled: x <- (1 - lr wd) x first)."""
    hp = _adam_hyperparams(lr, beta1, beta2, eps)
    lr, beta1, beta2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
    eps_inside_root = _flag("eps_inside_root", eps_inside_root)
    eps_hat = _flag("eps_hat", eps_hat)
    if eps_inside_root and eps_hat:
        raise ValueError("eps_inside_root and eps_hat must not both be True: eps goes either "
                         "inside the root or after the uncorrected root, not both")
    if name == "adamw":
        hp["weight_decay"] = weight_decay = _nonnegative("weight_decay", weight_decay)
    if eps_inside_root:
        hp["eps_inside_root"] = True
    if eps_hat:
        hp["eps_hat"] = True

    def update(x, state, grad):
        g = _gradient(grad, x)
        t = state.t + 1
        m, v = _adam_moments(state, g, beta1, beta2)
        x_new = x * (1 - lr * weight_decay) if weight_decay else x
        if eps_hat:    # Kingma and Ba's reordering, TensorFlow/Keras: eps before the correction
            lr_t = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
            return x_new - lr_t * m / (np.sqrt(v) + eps), AdamState(t, m, v)
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        return x_new - lr * m_hat / _root(v_hat, eps, eps_inside_root), AdamState(t, m, v)

    return Optimizer(name, hp, _zeros_state(AdamState, 2), update)


def adam(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
         eps_inside_root: bool = False, eps_hat: bool = False) -> Optimizer:
    r"""Adam: momentum on the gradient, RMSProp's scaling, both bias-corrected.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2,

        \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat s_t = \frac{s_t}{1-\beta_2^t},
        \qquad x_t = x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon}

    ``lr`` is :math:`\eta`, ``beta1`` and ``beta2`` are :math:`\beta_1, \beta_2`,
    ``eps`` is :math:`\epsilon`, added after the bias correction as in the paper
    and torch. The book writes the second moment :math:`s_t` (its :math:`v_t` is
    the velocity); the paper, torch and the state field call it ``v``.
    torch: ``Adam(lr, betas=(beta1, beta2), eps=eps)``.

    Where eps goes, the variants:

    - ``eps_inside_root=True``: :math:`\sqrt{\hat s_t + \epsilon}` (the seed article);
    - ``eps_hat=True``: the paper's faster reordering (end of its section 2),
      used by TensorFlow and Keras:
      :math:`x_t = x_{t-1} - \eta_t\, m_t / (\sqrt{s_t} + \hat\epsilon)` with
      :math:`\eta_t = \eta \sqrt{1-\beta_2^t} / (1-\beta_1^t)`. It is the same rule
      with :math:`\epsilon = \hat\epsilon / \sqrt{1 - \beta_2^t}` changing over time
      (large in the first steps), so the two differ only where
      :math:`\sqrt{\hat s_t}` is not large against that.

    >>> import numpy as np, optlib
    >>> opt = optlib.adam(lr=0.1, eps=0.0)
    >>> x, s = opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([-3.0]))
    >>> x   # the first step has length lr whatever the gradient's size
    array([1.1])

    Reference: Kingma and Ba (2015).
    """
    return _adam_rule("adam", lr, beta1, beta2, eps, 0.0, eps_inside_root, eps_hat)


def adamw(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 1e-2, lr0: float | None = None) -> Optimizer:
    r"""AdamW: Adam with decoupled weight decay.

    .. math::
        x' = (1 - \eta\omega)\, x_{t-1}, \qquad
        x_t = x' - \eta\, \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon}

    with :math:`\hat m_t, \hat s_t` as in :func:`adam` (the gradient is taken at
    :math:`x_{t-1}`, before the decay). ``weight_decay`` is :math:`\omega`; note
    that the decay is scaled by ``lr`` as in torch (Loshchilov and Hutter's paper
    scales it by a schedule multiplier only). torch: ``AdamW(lr, betas, eps, weight_decay)``.

    ``lr0`` (default None: torch's rule above) gives the paper's rule. Its
    Algorithm 2 writes the learning rate as a base rate :math:`\eta_0` times a
    schedule multiplier :math:`\eta/\eta_0`, and multiplies the decay by the
    multiplier alone: :math:`x' = (1 - \omega\, \eta/\eta_0)\, x_{t-1}` with
    :math:`\eta_0` = ``lr0``. With a constant ``lr = lr0`` the decay is
    :math:`\omega` per step whatever the learning rate; under :func:`scheduled`,
    pass the schedule's ``lr0``. It is torch's rule with weight decay
    :math:`\omega/\eta_0`.

    >>> import numpy as np, optlib
    >>> opt = optlib.adamw(lr=0.1, weight_decay=0.5, eps=0.0)
    >>> x, s = opt.step(np.array([2.0]), opt.init(np.array([2.0])), lambda x: np.array([1.0]))
    >>> x   # 2 * (1 - 0.05) - 0.1
    array([1.8])
    >>> paper = optlib.adamw(lr=0.1, weight_decay=0.5, eps=0.0, lr0=0.1)
    >>> x, s = paper.step(np.array([2.0]), paper.init(np.array([2.0])), lambda x: np.array([1.0]))
    >>> x   # 2 * (1 - 0.5) - 0.1
    array([0.9])

    Reference: Loshchilov and Hutter (2019).
    """
    if lr0 is None:
        return _adam_rule("adamw", lr, beta1, beta2, eps, weight_decay, False)
    allowed = "None or finite and > 0"
    base = _real("lr0", lr0, allowed)
    if not (math.isfinite(base) and base > 0):
        raise ValueError(f"lr0 must be {allowed}, got {lr0!r}")
    omega = _nonnegative("weight_decay", weight_decay)
    # the decay omega * lr / lr0 is torch's lr * weight_decay with weight_decay = omega / lr0
    opt = _adam_rule("adamw", lr, beta1, beta2, eps, omega / base, False)
    opt.hyperparams.update(weight_decay=omega, lr0=base)
    return opt


def amsgrad(lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
            eps: float = 1e-8) -> Optimizer:
    r"""AMSGrad: Adam whose second moment never decreases.

    .. math::
        s^{\max}_t = \max(s^{\max}_{t-1}, s_t), \qquad
        x_t = x_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{s^{\max}_t / (1-\beta_2^t)} + \epsilon}

    with :math:`m_t, s_t, \hat m_t` as in :func:`adam`: the maximum is taken over the
    raw :math:`s` (state field ``v_max``), then bias-corrected, as in torch's
    ``Adam(..., amsgrad=True)``; Reddi et al.'s algorithm takes it without any
    bias correction.

    >>> import numpy as np, optlib
    >>> opt = optlib.amsgrad(lr=0.1, eps=0.0)
    >>> x, s = opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([2.0]))
    >>> x, bool(s.v_max[0] == s.v[0])
    (array([0.9]), True)

    Reference: Reddi, Kale and Kumar (2018).
    """
    hp = _adam_hyperparams(lr, beta1, beta2, eps)
    lr, beta1, beta2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]

    def update(x, state, grad):
        g = _gradient(grad, x)
        t = state.t + 1
        m, v = _adam_moments(state, g, beta1, beta2)
        v_max = np.maximum(state.v_max, v)
        denom = np.sqrt(v_max / (1 - beta2 ** t)) + eps
        return x - lr * (m / (1 - beta1 ** t)) / denom, AmsgradState(t, m, v, v_max)

    return Optimizer("amsgrad", hp, _zeros_state(AmsgradState, 3), update)


def adamax(lr: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999,
           eps: float = 1e-8) -> Optimizer:
    r"""Adamax: Adam with the infinity norm in place of the root mean square.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon),

        x_t = x_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}

    ``eps`` sits inside the maximum, as in torch (Kingma and Ba have no
    :math:`\epsilon`). torch: ``Adamax(lr, betas=(beta1, beta2), eps=eps)``.

    >>> import numpy as np, optlib
    >>> opt = optlib.adamax(lr=0.1, eps=0.0)
    >>> x, s = opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([5.0]))
    >>> x, s.u
    (array([0.9]), array([5.]))

    Reference: Kingma and Ba (2015), section 7.1.
    """
    hp = _adam_hyperparams(lr, beta1, beta2, eps)
    lr, beta1, beta2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]

    def update(x, state, grad):
        g = _gradient(grad, x)
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * g
        u = np.maximum(beta2 * state.u, np.abs(g) + eps)
        return x - (lr / (1 - beta1 ** t)) * m / u, AdamaxState(t, m, u)

    return Optimizer("adamax", hp, _zeros_state(AdamaxState, 2), update)


def adam_lp(lr: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
            p: float = 2.0) -> Optimizer:
    r"""Adam with an :math:`L^p` second moment, the family whose limit is Adamax.

    Kingma and Ba's section 7.1 replace :math:`g_t^2` by :math:`|g_t|^p` and the
    decay :math:`\beta_2` by :math:`\beta_2^p`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        u_t^p = \beta_2^p\, u_{t-1}^p + (1-\beta_2^p)\, |g_t|^p,

        x_t = x_{t-1} - \eta\, \frac{m_t / (1-\beta_1^t)}
              {u_t / (1-\beta_2^{pt})^{1/p} + \epsilon}

    so ``p=2`` is :func:`adam` with decay :math:`\beta_2^2`, and as
    :math:`p \to \infty`, :math:`u_t \to \max(\beta_2 u_{t-1}, |g_t|)` and the
    correction of :math:`u` tends to 1: Adamax. ``p=math.inf`` runs that limit
    (with eps outside the maximum, as in the paper's Adamax plus an eps in the
    denominator; torch's :func:`adamax` puts eps inside it). The state keeps
    :math:`u_t` itself, computed as a scaled p-norm so that large p cannot
    overflow. Not a torch optimizer; ``p`` is any number >= 1.

    >>> import numpy as np, optlib
    >>> g = lambda x: np.array([3.0])
    >>> x0 = np.array([0.0])
    >>> lp = optlib.run(optlib.adam_lp(lr=0.1, p=2.0, beta2=0.9), g, x0, 5)
    >>> ad = optlib.run(optlib.adam(lr=0.1, beta2=0.81), g, x0, 5)
    >>> bool(np.allclose(lp, ad, rtol=1e-13, atol=1e-15))
    True
    """
    hp = _adam_hyperparams(lr, beta1, beta2, eps)
    lr, beta1, beta2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
    allowed = "a number >= 1 (math.inf for the Adamax limit)"
    p_value = _real("p", p, allowed)
    if not (p_value >= 1.0):
        raise ValueError(f"p must be {allowed}, got {p!r}")
    hp["p"] = p_value
    finite = math.isfinite(p_value)
    decay = beta2 ** p_value if finite else 0.0
    weight = (1 - decay) ** (1 / p_value) if finite else 1.0   # (1 - beta2^p)^(1/p)

    def update(x, state, grad):
        g = _gradient(grad, x)
        t = state.t + 1
        m = beta1 * state.m + (1 - beta1) * g
        a, b = beta2 * state.u, weight * np.abs(g)     # u_t = ||(a, b)||_p
        if finite:
            top = np.maximum(a, b)
            safe = np.where(top > 0, top, 1.0)
            u = top * ((a / safe) ** p_value + (b / safe) ** p_value) ** (1 / p_value)
            correction = (1 - decay ** t) ** (1 / p_value)
        else:
            u, correction = np.maximum(a, b), 1.0
        step = (lr / (1 - beta1 ** t)) * m / (u / correction + eps)
        return x - step, AdamLpState(t, m, u)

    return Optimizer("adam_lp", hp, _zeros_state(AdamLpState, 2), update)


def nadam(lr: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
          momentum_decay: float = 4e-3) -> Optimizer:
    r"""Nadam: Adam with a Nesterov look-ahead on the first moment (Dozat).

    With torch's momentum schedule
    :math:`\beta_{1,t} = \beta_1 (1 - \tfrac12\, 0.96^{t\psi})` (:math:`\psi` =
    ``momentum_decay``; torch's documentation calls it :math:`\mu_t`, a letter the
    book keeps for the smallest curvature):

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
        s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2,

        x_t = x_{t-1} - \frac{\eta}{\sqrt{s_t/(1-\beta_2^t)} + \epsilon}
        \left( \frac{(1-\beta_{1,t})\, g_t}{1 - \prod_{k\le t}\beta_{1,k}}
             + \frac{\beta_{1,t+1}\, m_t}{1 - \prod_{k\le t+1}\beta_{1,k}} \right)

    torch: ``NAdam(lr, betas=(beta1, beta2), eps=eps, momentum_decay=momentum_decay)``.

    >>> import numpy as np, optlib
    >>> opt = optlib.nadam(lr=0.1, eps=0.0)
    >>> x, s = opt.step(np.array([1.0]), opt.init(np.array([1.0])), lambda x: np.array([2.0]))
    >>> round(float(x[0]), 6), round(s.mu_product, 6)
    (0.894355, 0.450073)

    Reference: Dozat (2016).
    """
    hp = _adam_hyperparams(lr, beta1, beta2, eps)
    lr, beta1, beta2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
    hp["momentum_decay"] = psi = _nonnegative("momentum_decay", momentum_decay)

    def mu(t):
        return beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))

    def init(x):
        return NadamState(0, np.zeros_like(x), np.zeros_like(x), 1.0)

    def update(x, state, grad):
        g = _gradient(grad, x)
        t = state.t + 1
        mu_t, mu_next = mu(t), mu(t + 1)
        mu_product = state.mu_product * mu_t
        m, v = _adam_moments(state, g, beta1, beta2)
        denom = np.sqrt(v / (1 - beta2 ** t)) + eps
        step = (lr * (1 - mu_t) / (1 - mu_product)) * g / denom \
            + (lr * mu_next / (1 - mu_product * mu_next)) * m / denom
        return x - step, NadamState(t, m, v, mu_product)

    return Optimizer("nadam", hp, init, update)


# --------------------------------------------------------------------------
# A learning rate that changes from step to step
# --------------------------------------------------------------------------

#: The eleven optimizers of the book, by name, in chapter order
#: (exported as ``optlib.OPTIMIZERS``; the factories :func:`scheduled` accepts).
OPTIMIZERS = {f.__name__: f for f in (sgd, momentum, nesterov, adagrad, rmsprop, adadelta,
                                      adam, adamax, nadam, amsgrad, adamw)}

#: Rules that are not among the eleven but that chapters compare them with, by name.
VARIANTS = {f.__name__: f for f in (adam_lp,)}

#: Every factory :func:`scheduled` accepts: the eleven and the variants.
FACTORIES = {**OPTIMIZERS, **VARIANTS}


def _scheduled_lr(schedule, t: int) -> float:
    """schedule(t), checked like any lr; the message says which step gave it."""
    lr = schedule(t)
    try:
        return _positive("lr", lr)
    except ValueError as error:
        raise ValueError(f"schedule({t}) = {lr!r} is not a valid lr: {error}") from None


class ScheduledOptimizer(Optimizer):
    """An optimizer whose lr follows a schedule; prints as the :func:`scheduled` call."""

    __slots__ = ()

    def __repr__(self) -> str:
        hp = dict(self.hyperparams)
        schedule = hp.pop("schedule")
        args = "".join(f", {k}={v!r}" for k, v in hp.items())
        return f"scheduled({self.name}, {schedule!r}{args})"


def scheduled(factory, schedule, **hyperparams) -> Optimizer:
    r"""Run the rule of ``factory`` with the learning rate ``schedule(t)`` at step t.

    Step t (t = 1, 2, ...) is the step of ``factory(lr=schedule(t), **hyperparams)``
    taken from the current state: only :math:`\eta` changes, the state (velocity,
    moments, step counter ``state.t``) carries on as in a constant-lr run. So
    :math:`x_t = x_{t-1} - \eta_t g_t` for ``sgd``, and for ``adam``

    .. math::
        x_t = x_{t-1} - \eta_t\, \frac{\hat m_t}{\sqrt{\hat s_t} + \epsilon},

    which is what torch gives for ``SGD(lr)`` and ``Adam(lr)`` under any
    ``torch.optim.lr_scheduler``: their states do not contain the lr. (torch's
    schedulers count epochs from 0 for the first step, so ``LambdaLR`` with
    ``lr_lambda(e) = schedule(e + 1) / lr0`` matches.)

    **Momentum differs from torch.** optlib's velocity carries the lr,
    :math:`v_t = \gamma v_{t-1} + \eta_t g_t`: a new lr weights only the new
    gradient. torch's ``SGD(momentum=gamma)`` keeps the buffer
    :math:`b_t = \gamma b_{t-1} + g_t = v_t/\eta` and steps by :math:`\eta_t b_t`,
    so a new lr rescales the whole buffer, past gradients included. With a
    constant lr the two agree; chapter 02 computes the difference.

    ``factory`` is one of optlib's factories (``optlib.sgd``, ...) or its name;
    ``schedule`` is a callable of t returning a finite lr > 0 (see
    :mod:`optlib.schedules`); ``hyperparams`` are the factory's other
    hyperparameters (``lr`` is the schedule's). The factory's rule is rebuilt
    at every step, so every ``schedule(t)`` is validated like ``lr``.

    >>> import numpy as np, optlib
    >>> from optlib.schedules import inverse_time, step_decay
    >>> opt = optlib.scheduled(optlib.sgd, inverse_time(lr0=0.5, decay=1.0))
    >>> opt
    scheduled(sgd, inverse_time(lr0=0.5, decay=1.0))
    >>> optlib.run(opt, lambda x: 2 * x, np.array([1.0]), 3)[:, 0]  # lr 1/4, 1/6, 1/8
    array([1.        , 0.5       , 0.33333333, 0.25      ])

    Momentum, lr 0.2 then 0.1, a constant gradient 1: optlib's v is 0.2, then
    0.5 * 0.2 + 0.1 = 0.2, so x goes 1 -> 0.8 -> 0.6; torch's buffer is 1, then
    1.5, and its second step 0.1 * 1.5 = 0.15 lands on 0.65.

    >>> opt = optlib.scheduled("momentum", step_decay(lr0=0.2, factor=0.5, every=1), gamma=0.5)
    >>> path = optlib.run(opt, lambda x: np.ones_like(x), np.array([1.0]), 2)
    >>> path[:, 0]
    array([1. , 0.8, 0.6])
    """
    if isinstance(factory, str) and factory in FACTORIES:
        factory = FACTORIES[factory]
    if not any(factory is f for f in FACTORIES.values()):
        raise ValueError(f"factory must be one of optlib's optimizers "
                         f"({', '.join(FACTORIES)}), got {factory!r}")
    if not callable(schedule):
        raise ValueError(f"schedule must be a callable schedule(t) -> lr, "
                         f"got {type(schedule).__name__}")
    if "lr" in hyperparams:
        raise ValueError(f"lr must not be given to scheduled (got lr={hyperparams['lr']!r}): "
                         f"the schedule sets it, lr = schedule(t) at step t")
    # build the first step's rule now: it checks the other hyperparameters and schedule(1)
    first = factory(lr=_scheduled_lr(schedule, 1), **hyperparams)
    fixed = {k: v for k, v in first.hyperparams.items() if k != "lr"}

    def update(x, state, grad):
        lr = _scheduled_lr(schedule, state.t + 1)
        return factory(lr=lr, **hyperparams)._update(x, state, grad)

    return ScheduledOptimizer(factory.__name__, {"schedule": schedule, **fixed},
                              first._init, update)

