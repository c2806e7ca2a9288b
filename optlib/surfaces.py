r"""Toy loss surfaces in 2D: the seed article's six, and four classics.

A :class:`Surface` bundles a function :math:`f(x, y)`, its analytic gradient, a
plotting window, a start point and the minima inside the window::

    s = surfaces.wobbly
    s.f(p)      # p of shape (..., 2) -> values of shape (...)
    s.grad(p)   # p of shape (..., 2) -> gradients of shape (..., 2)

The last axis of ``p`` holds :math:`(x, y)`, so one call evaluates a single
point (shape ``(2,)``), N optimizer runs (``(N, 2)``) or a whole grid
(``(ny, nx, 2)``).

The seed article's six surfaces (:data:`wobbly`, :data:`basins_and_walls`,
:data:`ripple`, :data:`giant_plateau`, :data:`hills_and_canyon`,
:data:`two_minimums`) are written exactly as its theano expressions, with its
window :math:`[-3, 3]^2` and its start point :math:`(-2.8, -2.5)`. The classics
are :data:`rosenbrock`, :data:`beale`, :data:`saddle` and
:data:`ill_conditioned_quadratic`.

The minima were found once, offline, by Newton's method started from every
point of a dense grid over the window that is lower than its eight neighbours,
and are written out here to about 1e-10; ``tests/test_surfaces.py`` checks that the gradient vanishes and the
Hessian is positive definite at each of them, and repeats the grid search to
check that the lists are complete.

>>> from optlib import surfaces
>>> s = surfaces.get("two_minimums")
>>> round(float(s.f(s.global_minima[0])), 6)
0.999998
>>> s.nearest_minimum([-2.49, -2.5], tol=0.05)
1
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Surface", "SURFACES", "get", "rotated_quadratic", "SEED_LEVELS", "SEED_START",
           "wobbly", "basins_and_walls", "ripple", "giant_plateau", "hills_and_canyon",
           "two_minimums", "rosenbrock", "beale", "saddle", "ill_conditioned_quadratic",
           "from_formula"]


def _points(value) -> np.ndarray:
    """A read-only float array of shape (k, 2)."""
    a = np.array(value, dtype=float).reshape(-1, 2)
    a.setflags(write=False)
    return a


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def _positive(name: str, value) -> float:
    if _real(name, value) <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True, eq=False, repr=False)
class Surface:
    """A 2D loss surface with its gradient, plotting window and known minima.

    Attributes:
        name: the key in :data:`SURFACES`, e.g. ``"wobbly"``.
        title: a human title for plots.
        f: ``f(p)`` for ``p`` of shape ``(..., 2)``, returns shape ``(...)``.
        grad: the analytic gradient, ``grad(p)`` has the shape of ``p``.
        window: ``((xmin, xmax), (ymin, ymax))``, the region plotted and searched for minima.
        start: the default start point, shape ``(2,)``, or None.
        global_minima: shape ``(k, 2)``, the points where f is smallest in the window.
        local_minima: shape ``(j, 2)``, the other local minima inside the window (maybe none).
        levels: contour levels for plots, or None to let matplotlib choose.
        description: what the surface is for, in a few sentences.
        saddles: shape ``(s, 2)``, saddle points worth marking on a plot (maybe none).
    """

    name: str
    title: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    window: tuple
    start: np.ndarray | None
    global_minima: np.ndarray
    local_minima: np.ndarray
    levels: np.ndarray | None
    description: str
    saddles: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    def __post_init__(self):
        # Frozen dataclass: normalise the array fields with object.__setattr__.
        (xmin, xmax), (ymin, ymax) = self.window
        object.__setattr__(self, "window", ((float(xmin), float(xmax)), (float(ymin), float(ymax))))
        for name in ("global_minima", "local_minima", "saddles"):
            object.__setattr__(self, name, _points(getattr(self, name)))
        if self.start is not None:
            object.__setattr__(self, "start", _points(self.start)[0])
        if self.levels is not None:
            levels = np.array(self.levels, dtype=float)
            levels.setflags(write=False)
            object.__setattr__(self, "levels", levels)

    @property
    def minima(self) -> np.ndarray:
        """All minima, shape ``(k + j, 2)``: the global ones first, then the local ones."""
        return np.concatenate([self.global_minima, self.local_minima])

    @property
    def extent(self) -> tuple:
        """The window as ``(xmin, xmax, ymin, ymax)``, the order of matplotlib's ``extent``."""
        (xmin, xmax), (ymin, ymax) = self.window
        return (xmin, xmax, ymin, ymax)

    def hessian(self, p, h: float = 1e-5) -> np.ndarray:
        r"""The Hessian at ``p``, shape ``(..., 2, 2)``, by central differences of ``grad``.

        .. math::  H_{ij} \approx \frac{\partial_j f(p + h e_i) - \partial_j f(p - h e_i)}{2h}

        symmetrised. The error is of order :math:`h^2` times the third derivatives:
        below 1e-8 on most surfaces here, about 1e-6 on ripple.

        >>> saddle.hessian([0.3, -0.2]).round(6)
        array([[ 2.,  0.],
               [ 0., -2.]])
        """
        p = _as_points(p)
        rows = []
        for e in np.eye(2):
            rows.append((self.grad(p + h * e) - self.grad(p - h * e)) / (2 * h))
        H = np.stack(rows, axis=-2)
        return (H + np.swapaxes(H, -1, -2)) / 2

    def in_window(self, p) -> np.ndarray:
        """True where ``p`` (shape ``(..., 2)``) lies inside the window, borders included."""
        x, y = _xy(p)
        (xmin, xmax), (ymin, ymax) = self.window
        return (xmin <= x) & (x <= xmax) & (ymin <= y) & (y <= ymax)

    def nearest_minimum(self, p, tol: float = 0.05) -> np.ndarray:
        """Index into :attr:`minima` of the minimum within ``tol`` of ``p``, or -1 if none.

        ``p`` has shape ``(..., 2)``; the answer has shape ``(...)`` (an int for one point).
        Non-finite points get -1. Distances are Euclidean, in the units of the window.

        >>> two_minimums.nearest_minimum([[0.01, 0.0], [-2.5, -2.5], [1.0, 1.0]])
        array([ 0,  1, -1])
        """
        tol = _positive("tol", tol)
        p = _as_points(p)
        points = p.reshape(-1, 2)
        minima = self.minima
        best = np.full(len(points), -1)
        if len(minima) == 0:
            return best.reshape(p.shape[:-1]) if p.ndim > 1 else -1
        # distances from a block of points to every minimum, about a million at a time
        block = max(1, 2 ** 20 // len(minima))
        with np.errstate(invalid="ignore", over="ignore"):
            for lo in range(0, len(points), block):
                q = points[lo:lo + block, np.newaxis, :]                # (b, 1, 2)
                dist2 = (q[..., 0] - minima[:, 0]) ** 2 + (q[..., 1] - minima[:, 1]) ** 2
                k = np.argmin(dist2, axis=1)                            # (b,)
                near = dist2[np.arange(len(k)), k] <= tol ** 2          # nan compares False
                best[lo:lo + block] = np.where(near, k, -1)
        return best.reshape(p.shape[:-1]) if p.ndim > 1 else int(best[0])

    def __repr__(self) -> str:
        return (f"Surface({self.name!r}, window={self.window}, "
                f"{len(self.global_minima)} global and {len(self.local_minima)} local minima)")


# --------------------------------------------------------------------------
# Helpers shared by the formulas
# --------------------------------------------------------------------------

def _as_points(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"p must have shape (2,) or (..., 2) with (x, y) on the last axis, "
                         f"got shape {p.shape}")
    return p


def _xy(p):
    """x and y from points of shape (..., 2)."""
    p = _as_points(p)
    return p[..., 0], p[..., 1]


# The formulas below are written for two 1D arrays x and y. The two wrappers
# apply them to points of any shape (..., 2). They flatten the points first, so
# that one point (2,) and a batch (N, 2) go through the same array arithmetic
# and give the same numbers to the last bit (numpy's scalar arithmetic can
# differ from its array arithmetic in the last bit).

# One point, p of shape (2,), is computed on numpy scalars: an operation on a one-element
# array costs about ten times one on a scalar (hills_and_canyon's gradient: 118 us against
# 10 us here), and a run takes one gradient per step. The same operations in the same order
# on the same float64 values: the results are bit for bit those of the array path
# (tests/test_surfaces.py checks it on every surface).

def _function(formula):
    """f(p) for points p of shape (..., 2) from formula(x, y); returns shape (...)."""
    @functools.wraps(formula)
    def f(p):
        p = _as_points(p)
        if p.shape == (2,):
            return np.float64(formula(p[0], p[1]))
        flat = p.reshape(-1, 2)
        return formula(flat[:, 0], flat[:, 1]).reshape(p.shape[:-1])[()]
    return f


def _gradient(formula):
    """grad(p) for points p of shape (..., 2) from formula(x, y) -> (df/dx, df/dy)."""
    @functools.wraps(formula)
    def grad(p):
        p = _as_points(p)
        if p.shape == (2,):
            dfdx, dfdy = formula(p[0], p[1])
            return np.array([dfdx, dfdy], dtype=float)
        flat = p.reshape(-1, 2)
        dfdx, dfdy = formula(flat[:, 0], flat[:, 1])
        out = np.empty(flat.shape)      # a third faster than np.stack(np.broadcast_arrays(..))
        out[:, 0], out[:, 1] = dfdx, dfdy
        return out.reshape(p.shape)
    return grad


def _on_array(ufunc):
    """``ufunc`` that takes a numpy scalar through a one-element array: numpy's SIMD loops
    (AVX-512's exp, say) run on arrays, a scalar may go to the C library instead, and the
    two can differ in the last bit; so one point gets what a batch of points gets."""
    def on_array(z):
        if isinstance(z, np.ndarray) and z.ndim:
            return ufunc(z)
        return ufunc(np.array([z], dtype=float))[0]
    on_array.__name__ = ufunc.__name__
    return on_array


_exp, _sin, _cos = _on_array(np.exp), _on_array(np.sin), _on_array(np.cos)


def _batch_of_one(formula):
    """``formula(x, y)`` that computes one point (numpy scalars x, y) as a batch of one, for
    formulas made of sympy's numpy functions: on numpy scalars their sin, exp and ** take
    the C library's functions, on arrays numpy's SIMD loops (AVX-512's), and the two differ
    in the last bit, so run() and run_many() would part (see :func:`_on_array`). A formula
    answers with an array, or a tuple of arrays for a gradient."""
    @functools.wraps(formula)
    def on_batch(x, y):
        if np.ndim(x):
            return formula(x, y)
        out = formula(np.array([x], dtype=float), np.array([y], dtype=float))
        return tuple(v[0] for v in out) if isinstance(out, tuple) else out[0]
    return on_batch


def _sq(z):
    """z squared as z * z: what numpy computes for an array's ``z ** 2``; a numpy scalar's
    ``z ** 2`` calls pow(), which differs in the last bit at about one value in a thousand."""
    return z * z


def _ipow(z, k: int):
    """``z ** k`` for a small whole k >= 0 as repeated products, the same on a scalar as on
    an array and on every machine: with AVX-512 an array's ``z ** 3`` takes numpy's SIMD
    pow, which differs in the last bit from the C library's pow that a numpy scalar takes
    (one Beale point in a hundred; see :func:`_sq`)."""
    if k == 0:
        return z ** 0
    out = z
    for _ in range(k - 1):
        out = out * z
    return out


def _bump(x, y, cx, cy, a, b):
    """The Gaussian bump exp(-(a (x - cx)^2 + b (y - cy)^2)); its x-derivative is
    -2 a (x - cx) times the bump, its y-derivative -2 b (y - cy) times the bump."""
    return _exp(-(a * _sq(x - cx) + b * _sq(y - cy)))


#: The seed article's contour levels: every 0.25 from -2 to 7, then every 1 up to 19.
#: (The seed's own list skips 6.0, an accident of its range(); it is included here.)
SEED_LEVELS = np.concatenate([np.arange(-8, 29) / 4, np.arange(8, 20)])

#: The seed article's start point for all six of its surfaces.
SEED_START = (-2.8, -2.5)

SEED_WINDOW = ((-3.0, 3.0), (-3.0, 3.0))


# --------------------------------------------------------------------------
# The seed article's six surfaces
# --------------------------------------------------------------------------

def _wobbly_f(x, y):
    ax = np.abs(x)
    return ((_sq(x) + _sq(y)) / 3 + ax * np.sqrt(ax + 0.1) + 3 * _sin(x + y) + 3
            + 8 * _bump(x, y, -1, -2, 2, 2))


def _wobbly_grad(x, y):
    ax = np.abs(x)
    root = np.sqrt(ax + 0.1)
    # d/dx |x| sqrt(|x| + 0.1) = sign(x) (sqrt(|x| + 0.1) + |x| / (2 sqrt(|x| + 0.1))).
    # At x = 0 the two one-sided limits are -sqrt(0.1) and +sqrt(0.1) (a kink);
    # sign(0) = 0 takes their mean, 0, as theano's gradient of abs did.
    kink = np.sign(x) * (root + ax / (2 * root))
    wave = 3 * _cos(x + y)
    bump = 8 * _bump(x, y, -1, -2, 2, 2)
    return (2 * x / 3 + kink + wave - 4 * (x + 1) * bump,
            2 * y / 3 + wave - 4 * (y + 2) * bump)


wobbly = Surface(
    name="wobbly",
    title="Wobbly",
    f=_function(_wobbly_f),
    grad=_gradient(_wobbly_grad),
    window=SEED_WINDOW,
    start=SEED_START,
    global_minima=[[-0.1724209437629992, -0.9063018409018628]],
    local_minima=[],
    levels=SEED_LEVELS,
    description=(
        "f = (x^2 + y^2)/3 + |x| sqrt(|x| + 0.1) + 3 sin(x + y) + 3 "
        "+ 8 exp(-2((x + 1)^2 + (y + 2)^2)). A bowl with a wave running across it "
        "and a tall bump near the start, so the way down bends around the bump. "
        "The term |x| sqrt(|x| + 0.1) has a kink along x = 0: its derivative jumps "
        "from -sqrt(0.1) to +sqrt(0.1); grad uses 0 there (the mean of the two sides). "
        "Its only minimum in the window is near (-0.17, -0.91); a second one lies just "
        "outside, near (0.90, 3.07), and runs that leave the top edge can end there."),
)


def _basins_and_walls_f(x, y):
    return (_sq(x) + _sq(y)) / 2 + _sq(_sin(4 * x))


def _basins_and_walls_grad(x, y):
    # d/dx sin(4x)^2 = 8 sin(4x) cos(4x) = 4 sin(8x)
    return (x + 4 * _sin(8 * x), y)


basins_and_walls = Surface(
    name="basins_and_walls",
    title="Basins and walls",
    f=_function(_basins_and_walls_f),
    grad=_gradient(_basins_and_walls_grad),
    window=SEED_WINDOW,
    start=SEED_START,
    global_minima=[[0.0, 0.0]],
    local_minima=[[-0.76145653227215, 0.0], [0.76145653227215, 0.0],
                  [-1.5220040759402682, 0.0], [1.5220040759402682, 0.0],
                  [-2.28036728849271, 0.0], [2.28036728849271, 0.0]],
    levels=SEED_LEVELS,
    description=(
        "f = (x^2 + y^2)/2 + sin(4x)^2. A bowl cut by walls across the x axis: "
        "a row of long basins along y, each a local minimum, with the global one "
        "in the middle. A method must climb walls in x to reach it. Two more "
        "minima lie just outside the window, near x = -3.03 and x = 3.03."),
)


def _ripple_f(x, y):
    return (_sq(x) + _sq(y)) / 3 + (_sq(_sin(20 * x)) + _sq(_sin(20 * y))) / 15


def _ripple_grad(x, y):
    # d/dx sin(20x)^2 / 15 = 40 sin(20x) cos(20x) / 15 = (4/3) sin(40x)
    return (2 * x / 3 + 4 * _sin(40 * x) / 3,
            2 * y / 3 + 4 * _sin(40 * y) / 3)


# ripple is a sum g(x) + g(y) with g(u) = u^2/3 + sin(20u)^2/15, so its local
# minima are the pairs (a, b) of local minima a, b of g. g has 25 local minima,
# 0 and the +-12 below, all with |u| < 2 (where g'(u) = 2/3 (u + 2 sin(40u)) can
# vanish), so ripple has 25 x 25 = 625.
_RIPPLE_POSITIVE = [0.15513845202440735, 0.3102652231435478, 0.4653679851206454,
                    0.6204330115886044, 0.7754441861458102, 0.9303815433523048,
                    1.085218914866456, 1.2399197719944, 1.3944290818264355,
                    1.548655035084304, 1.7024188242117857, 1.8552553327821546]
_RIPPLE_1D = np.concatenate([-np.array(_RIPPLE_POSITIVE[::-1]), [0.0], _RIPPLE_POSITIVE])
_ripple_grid = np.stack(np.meshgrid(_RIPPLE_1D, _RIPPLE_1D), axis=-1).reshape(-1, 2)
_ripple_order = np.argsort(_ripple_f(*_ripple_grid.T), kind="stable")

ripple = Surface(
    name="ripple",
    title="Ripple",
    f=_function(_ripple_f),
    grad=_gradient(_ripple_grad),
    window=SEED_WINDOW,
    start=SEED_START,
    global_minima=[[0.0, 0.0]],
    local_minima=_ripple_grid[_ripple_order][1:],
    levels=SEED_LEVELS,
    description=(
        "f = (x^2 + y^2)/3 + (sin(20x)^2 + sin(20y)^2)/15. A smooth bowl under fine "
        "ripples of period pi/20: 625 shallow minima, spaced about 0.155 apart, "
        "on a 25 x 25 grid covering |x|, |y| < 1.9. The global minimum is at the "
        "origin; the 624 local ones are listed from the lowest to the highest."),
)


def _giant_plateau_f(x, y):
    return 4 * (1 - _bump(x, y, 0, 0, 1, 1))


def _giant_plateau_grad(x, y):
    bump = 4 * _bump(x, y, 0, 0, 1, 1)
    return (2 * x * bump, 2 * y * bump)


giant_plateau = Surface(
    name="giant_plateau",
    title="Giant plateau",
    f=_function(_giant_plateau_f),
    grad=_gradient(_giant_plateau_grad),
    window=SEED_WINDOW,
    start=SEED_START,
    global_minima=[[0.0, 0.0]],
    local_minima=[],
    levels=SEED_LEVELS,
    description=(
        "f = 4 (1 - exp(-(x^2 + y^2))). A narrow well in a vast flat plain: far "
        "from the origin the slope is almost zero (2.3e-5 at the start point, "
        "where f = 3.999997), so a method must keep moving where the gradient "
        "gives it nearly nothing."),
)


def _hills_and_canyon_f(x, y):
    return ((_sq(x) + _sq(y)) / 3
            + 3 * _bump(x, y, -1, -2, 1, 1)
            + 1 * _bump(x, y, -2, 0.5, 3, 1.5)
            + 3 * _bump(x, y, 1, -1.5, 1.5, 3)
            + 1.5 * _bump(x, y, -1.5, -0.5, 1, 3)
            + 4 * (1 - _exp(-_sq(x + y))))


# The four hills of hills_and_canyon: (height, cx, cy, a, b) of
# height * exp(-(a (x - cx)^2 + b (y - cy)^2)).
_HILLS = [(3, -1, -2, 1, 1), (1, -2, 0.5, 3, 1.5), (3, 1, -1.5, 1.5, 3), (1.5, -1.5, -0.5, 1, 3)]


def _hills_and_canyon_grad(x, y):
    dfdx = 2 * x / 3
    dfdy = 2 * y / 3
    for height, cx, cy, a, b in _HILLS:
        hill = height * _bump(x, y, cx, cy, a, b)
        dfdx = dfdx - 2 * a * (x - cx) * hill
        dfdy = dfdy - 2 * b * (y - cy) * hill
    # the canyon 4 (1 - exp(-(x + y)^2)) along the line x + y = 0
    canyon = 8 * (x + y) * _exp(-_sq(x + y))
    return (dfdx + canyon, dfdy + canyon)


hills_and_canyon = Surface(
    name="hills_and_canyon",
    title="Hills and canyon",
    f=_function(_hills_and_canyon_f),
    grad=_gradient(_hills_and_canyon_grad),
    window=SEED_WINDOW,
    start=SEED_START,
    global_minima=[[-0.04041944691066244, 0.07197372849804837]],
    local_minima=[[1.929145935695583, -1.921457692047925],
                  [-2.0341939933736306, -1.0818787630063285]],
    levels=SEED_LEVELS,
    description=(
        "f = (x^2 + y^2)/3 + four Gaussian hills + 4 (1 - exp(-(x + y)^2)). "
        "A canyon along the line x + y = 0 leads to the global minimum near the "
        "origin; a second minimum lies at the canyon's far end near (1.93, -1.92), "
        "a third behind the hills near (-2.03, -1.08), on the way from the start."),
)


def _two_minimums_f(x, y):
    return 4 - 0.5 * _bump(x, y, -2.5, -2.5, 1, 1) - 3 * _bump(x, y, 0, 0, 1, 1)


def _two_minimums_grad(x, y):
    small = 0.5 * _bump(x, y, -2.5, -2.5, 1, 1)
    deep = 3 * _bump(x, y, 0, 0, 1, 1)
    return (2 * (x + 2.5) * small + 2 * x * deep,
            2 * (y + 2.5) * small + 2 * y * deep)


two_minimums = Surface(
    name="two_minimums",
    title="Two minima",
    f=_function(_two_minimums_f),
    grad=_gradient(_two_minimums_grad),
    window=SEED_WINDOW,
    start=SEED_START,
    global_minima=[[-1.5527953021231566e-06, -1.5527953021231566e-06]],
    local_minima=[[-2.499944070180304, -2.499944070180304]],
    levels=SEED_LEVELS,
    description=(
        "f = 4 - 0.5 exp(-((x + 2.5)^2 + (y + 2.5)^2)) - 3 exp(-(x^2 + y^2)). "
        "A shallow well next to the start point and a deep one at the origin, on "
        "a plateau at f = 4: gradient descent from the start settles in the shallow "
        "one. The two wells overlap a little, so the minima sit 1.6e-6 and 5.6e-5 "
        "from the centres (0, 0) and (-2.5, -2.5) of the Gaussians."),
)


# --------------------------------------------------------------------------
# Classics
# --------------------------------------------------------------------------

def _rosenbrock_f(x, y):
    return _sq(1 - x) + 100 * _sq(y - _sq(x))


def _rosenbrock_grad(x, y):
    return (-2 * (1 - x) - 400 * x * (y - _sq(x)), 200 * (y - _sq(x)))


rosenbrock = Surface(
    name="rosenbrock",
    title="Rosenbrock (a = 1, b = 100)",
    f=_function(_rosenbrock_f),
    grad=_gradient(_rosenbrock_grad),
    window=((-2.0, 2.0), (-1.0, 3.0)),
    start=(-1.2, 1.0),
    global_minima=[[1.0, 1.0]],
    local_minima=[],
    levels=np.logspace(-1, 3.5, 19),
    description=(
        "f = (1 - x)^2 + 100 (y - x^2)^2 (Rosenbrock 1960). A narrow curved valley "
        "along y = x^2 with a nearly flat floor: finding the valley is easy, following "
        "it to the minimum at (1, 1) is slow. Start (-1.2, 1) is the classic one."),
)


_BEALE_C = (1.5, 2.25, 2.625)


def _beale_f(x, y):
    return sum(_sq(c - x + x * _ipow(y, k)) for k, c in enumerate(_BEALE_C, start=1))


def _beale_grad(x, y):
    dfdx = dfdy = 0.0
    for k, c in enumerate(_BEALE_C, start=1):
        r = c - x + x * _ipow(y, k)          # the k-th residual
        dfdx = dfdx + 2 * r * (_ipow(y, k) - 1)
        dfdy = dfdy + 2 * r * k * x * _ipow(y, k - 1)
    return (dfdx, dfdy)


beale = Surface(
    name="beale",
    title="Beale",
    f=_function(_beale_f),
    grad=_gradient(_beale_grad),
    window=((-4.5, 4.5), (-4.5, 4.5)),
    start=(1.0, 1.5),      # f = 41.25; from (3, 4), a common start, f = 39063
    global_minima=[[3.0, 0.5]],
    local_minima=[],
    levels=np.logspace(-1, 5, 25),
    description=(
        "f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2 (Beale 1958). "
        "Walls up to 1.8e5 at the corners; the minimum, f = 0 at (3, 0.5), lies at "
        "the end of a curved valley. A second valley, almost as low (f < 1 for "
        "x < -3), runs out of the window on the left near y = 1.2 and pulls runs "
        "that start on the left away from the minimum. f = 14.2 all along the "
        "lines x = 0 and y = 1. Plot it with log-spaced levels."),
)


def _saddle_f(x, y):
    return _sq(x) - _sq(y)


def _saddle_grad(x, y):
    return (2 * x, -2 * y)


saddle = Surface(
    name="saddle",
    title="Saddle x^2 - y^2",
    f=_function(_saddle_f),
    grad=_gradient(_saddle_grad),
    window=SEED_WINDOW,
    start=(-2.8, 0.05),
    global_minima=[],
    local_minima=[],
    levels=np.arange(-9.0, 9.5, 1.0),
    saddles=[[0.0, 0.0]],
    description=(
        "f = x^2 - y^2. A saddle point at the origin and no minimum at all: f falls "
        "without bound along y. Started just off the line y = 0, a method first "
        "slides towards the saddle along x, stalls there, then escapes along y "
        "and leaves the window; the closer to y = 0, the longer it stalls."),
)


def rotated_quadratic(L: float = 10.0, mu: float = 0.2, angle: float = 30.0,
                      name: str = "rotated_quadratic") -> Surface:
    r"""The quadratic :math:`f(p) = \tfrac12 p^\top A p`, :math:`A = R\,\mathrm{diag}(L, \mu)\,R^\top`.

    :math:`R` rotates by ``angle`` degrees, so the steep axis (curvature ``L``)
    points along :math:`(\cos\theta, \sin\theta)` and the flat one (curvature
    ``mu``) across it. The condition number is :math:`\kappa = L / \mu`;
    gradient descent is stable only for ``lr < 2 / L``, and then shrinks the
    error along the flat axis by :math:`1 - \mathrm{lr}\,\mu` per step.

    >>> q = rotated_quadratic(L=4.0, mu=1.0, angle=90.0)
    >>> q.grad([1.0, 1.0]).round(12)      # A = diag(1, 4) after a quarter turn
    array([1., 4.])
    """
    L = _positive("L", L)
    mu = _positive("mu", mu)
    angle = _real("angle", angle)
    if mu > L:
        raise ValueError(f"mu must be <= L (L is the largest curvature), got L={L}, mu={mu}")
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    # A = [[a, b], [b, d]] = R diag(L, mu) R^T with R = [[c, -s], [s, c]]
    a, b, d = L * c * c + mu * s * s, (L - mu) * c * s, L * s * s + mu * c * c

    def f(x, y):
        return 0.5 * (a * x * x + 2 * b * x * y + d * y * y)

    def grad(x, y):
        return (a * x + b * y, b * x + d * y)

    return Surface(
        name=name,
        title=f"Rotated quadratic (condition number {L / mu:g})",
        f=_function(f),
        grad=_gradient(grad),
        window=SEED_WINDOW,
        start=(-2.5, 2.0),
        global_minima=[[0.0, 0.0]],
        local_minima=[],
        levels=np.geomspace(0.05, 80, 12),
        description=(
            f"f = p^T A p / 2 with A of eigenvalues L = {L:g} and mu = {mu:g} "
            f"(condition number {L / mu:g}), the steep axis turned {float(angle):g} degrees "
            f"from the x axis. Gradient descent is stable for lr < 2/L = {2 / L:g}; "
            f"long narrow ellipses make it zig-zag across the valley."),
    )


#: Condition number 50, rotated by 30 degrees: L = 10, mu = 0.2, stable SGD needs lr < 0.2.
ill_conditioned_quadratic = rotated_quadratic(L=10.0, mu=0.2, angle=30.0,
                                              name="ill_conditioned_quadratic")


#: Every surface by name: the seed article's six first, then the classics.
SURFACES = {s.name: s for s in (wobbly, basins_and_walls, ripple, giant_plateau,
                                hills_and_canyon, two_minimums, rosenbrock, beale,
                                saddle, ill_conditioned_quadratic)}


def _check_window(window) -> tuple:
    """``((xmin, xmax), (ymin, ymax))`` as floats, finite, each min below its max."""
    try:
        (x0, x1), (y0, y1) = window
        values = [float(v) for v in (x0, x1, y0, y1)]
    except (TypeError, ValueError):
        values = None
    if values is None or not all(map(math.isfinite, values)) \
            or not (values[0] < values[1] and values[2] < values[3]):
        raise ValueError(f"window must be ((xmin, xmax), (ymin, ymax)) with finite numbers, "
                         f"xmin < xmax and ymin < ymax; got {window!r}")
    return (values[0], values[1]), (values[2], values[3])


def from_formula(formula: str, window=SEED_WINDOW, start=None, *, name=None, title=None,
                 levels=None, description=None) -> Surface:
    """A :class:`Surface` from a formula in ``x`` and ``y``, with its exact gradient and minima.

    ``formula`` is read by :mod:`optlib.formula` (never by ``eval``) and may use
    only the variables x and y, numbers, ``+ - * / **``, parentheses, the
    functions sin, cos, tan, exp, log, sqrt, abs, tanh and the constants pi
    and e. sympy differentiates it exactly; both are turned into vectorised
    numpy functions, so ``f`` and ``grad`` take points of shape ``(..., 2)``
    like the book's own surfaces. The minima inside ``window`` are found
    numerically (:func:`optlib.formula.find_minima`: a grid search refined by
    Newton's method, kept where the gradient vanishes and the Hessian is
    positive definite). ``start`` defaults to the seed's start point on the
    seed's window, else to the same place relative to the window
    (1/30 of its width and 1/12 of its height in from the lower left corner).
    ``name`` defaults to the formula itself, ``title`` to ``"f = <formula>"``.

    A formula outside the vocabulary, one that depends on neither x nor y,
    or one that is not finite on at least 90% of the window raises
    ValueError naming ``formula``, what is wrong and what is allowed. The
    first call loads sympy (``import optlib`` does not).

    >>> s = from_formula("(x - 1)**2 + 2*(y + 0.5)**2")
    >>> s.grad([0.0, 0.0]).tolist(), s.global_minima.round(9).tolist()
    ([-2.0, 2.0], [[1.0, -0.5]])
    """
    from . import formula as _formula          # sympy loads here, on first use
    window = _check_window(window)
    expr, fx, dfx, dfy = _formula.surface_functions(formula)
    text = " ".join(formula.split())
    allowed = _formula.vocabulary(_formula.SURFACE_VOCABULARY)

    def real(values, x):
        values = np.asarray(values)
        if np.iscomplexobj(values):
            raise ValueError(f"formula {text!r} takes complex values; a formula may use "
                             f"{allowed}")
        return np.broadcast_to(values, x.shape).astype(float)

    def f_xy(x, y):
        with np.errstate(all="ignore"):
            return real(fx(x, y), x)

    def grad_xy(x, y):
        with np.errstate(all="ignore"):
            return real(dfx(x, y), x), real(dfy(x, y), x)

    f, grad = _function(_batch_of_one(f_xy)), _gradient(_batch_of_one(grad_xy))
    check = _formula.grid(window, 201)
    for what, values in (("it", f(check)), ("its gradient", grad(check))):
        finite = np.isfinite(values).reshape(len(check), len(check), -1).all(-1).mean()
        if finite < _formula.MIN_FINITE_SHARE:
            raise ValueError(
                f"formula {text!r}: {what} is not finite (nan or infinite) on "
                f"{1 - finite:.0%} of the window {window}; a surface must be finite on at "
                f"least {_formula.MIN_FINITE_SHARE:.0%} of its window (pick another window "
                f"or another formula). A formula may use {allowed}")
    if start is None:
        (x0, x1), (y0, y1) = window
        start = SEED_START if window == SEED_WINDOW else (x0 + (x1 - x0) / 30,
                                                          y0 + (y1 - y0) / 12)
    p = np.asarray(start, dtype=float) if np.size(start) == 2 else np.full(2, np.nan)
    (x0, x1), (y0, y1) = window
    if not (x0 <= p[0] <= x1 and y0 <= p[1] <= y1):
        raise ValueError(f"start must be a point (x, y) inside the window {window}, "
                         f"got {start!r}")
    surface = Surface(name=text if name is None else name,
                      title=f"f = {text}" if title is None else title,
                      f=f, grad=grad, window=window, start=p, global_minima=[],
                      local_minima=[], levels=levels, description="")
    global_minima, local_minima = _formula.find_minima(surface)
    k = len(global_minima) + len(local_minima)
    if description is None:
        description = (f"f = {text} (sympy: {expr}), read by surfaces.from_formula. "
                       f"{k} minim{'um' if k == 1 else 'a'} in the window "
                       f"({len(global_minima)} global), found by a grid search refined by "
                       f"Newton's method.")
    return dataclasses.replace(surface, global_minima=global_minima,
                               local_minima=local_minima, description=description)


def get(name: str) -> Surface:
    """The surface called ``name``; a :class:`Surface` is returned as it is.

    >>> get("ripple").title
    'Ripple'
    """
    if isinstance(name, Surface):
        return name
    if not isinstance(name, str) or name not in SURFACES:
        allowed = ", ".join(repr(k) for k in SURFACES)
        raise ValueError(f"unknown surface {name!r}; allowed: a Surface or one of the "
                         f"names {allowed}")
    return SURFACES[name]
