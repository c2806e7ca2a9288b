"""Drive an optimizer: one run, its answer to a 1D signal, many runs at once.

- :func:`run`: one trajectory, as an array of iterates.
- :func:`respond`: the update made at each step of a 1D gradient signal.
- :func:`run_with_states`: one trajectory and the optimizer's state at every step
  (velocity, moments), for the "internals over time" plots.
- :func:`grid_starts`, :func:`cloud_starts`: start points spread over a surface's window.
- :func:`run_many`: N runs in one call, each labelled by the minimum it reached.
- :func:`basins`: the basins of attraction, which minimum each start on a grid ends in.

The many-run helpers all drive the optimizer through :func:`run`, so the loop
lives in one place. An optimizer works elementwise, so N start points stacked in
an ``(N, 2)`` array give exactly what N separate runs give.

Labels: ``surface.minima[k]`` for a run that ends within ``tol`` of minimum k;
:data:`NOT_CONVERGED` (-1) for a run that ends elsewhere; :data:`DIVERGED`
(-2) for a run that overflowed or left the box three times the window's size
(the window widened by its own width and height on every side).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import surfaces
from .optimizers import Optimizer, _as_params, _check_grad, _count, _positive

__all__ = ["run", "respond", "run_with_states", "grid_starts", "cloud_starts", "run_many", "basins",
           "run_many_lrs", "RunManyResult", "BasinMap", "NOT_CONVERGED", "DIVERGED"]

#: Label of a run that ended within the box but not within ``tol`` of any minimum.
NOT_CONVERGED = -1
#: Label of a run that overflowed or left the box around the window.
DIVERGED = -2


# --------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------


def _check_optimizer(opt):
    if not isinstance(opt, Optimizer):
        raise ValueError(f"opt must be an optlib optimizer such as optlib.adam(), got {opt!r}")


#: Bytes of the block :func:`_prime_allocator` makes and frees, once per process.
PRIME_BYTES = 8 << 20
#: The smallest parameter array (bytes) whose runs prime the allocator first.
PRIME_FROM_BYTES = 16 << 10
_allocator_primed = False


def _prime_allocator(nbytes: int) -> None:
    """Free one 8 MB block, once per process, before the first run on a large batch.

    Each step of a run makes its new arrays (an Adam step on 10 000 points about a
    dozen of 160 kB) and frees the old ones. glibc's malloc maps each block of 128 kB
    or more from the system, and gives the top of its heap back whenever more than
    its trim threshold (128 kB at first) lies free there: so every step faulted its
    arrays' pages in again, and half of an Adam run's time went to the system. When
    a program frees a mapped block larger than the first threshold (up to 32 MB),
    glibc raises that threshold to the block's size and the trim threshold to twice
    it; freeing one of 8 MB sets them as a program that had drawn a figure would
    have (a matplotlib canvas is such a block).
    Measured (benchmarks/run_benchmarks.py, torch section): Adam on 10 000 points x
    500 steps 0.15 s -> 0.09 s. The same numbers; elsewhere than glibc, a block made
    and freed.
    """
    global _allocator_primed
    if _allocator_primed or nbytes < PRIME_FROM_BYTES:
        return
    _allocator_primed = True
    np.empty(PRIME_BYTES, dtype=np.uint8)


def run(opt: Optimizer, grad, x0, steps: int) -> np.ndarray:
    """Take ``steps`` steps from ``x0``; return the trajectory.

    The trajectory has shape ``(steps + 1, *x0.shape)``; row 0 is ``x0``.
    Divergence does not raise: once an iterate overflows, the
    non-finite values stay in the trajectory (numpy's overflow warnings are
    silenced), so a plot can show the run as diverged.

    >>> import numpy as np, optlib
    >>> opt = optlib.sgd(lr=0.25)
    >>> optlib.run(opt, lambda x: 2 * x, np.array([1.0]), 3)[:, 0]
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    _check_optimizer(opt)
    steps = _count("steps", steps)
    x = _as_params(x0)
    _prime_allocator(x.nbytes)
    path = np.empty((steps + 1,) + x.shape)
    path[0] = x
    _check_grad(grad)
    # opt.step's checks and copy, once: each update returns new arrays and is handed
    # back only what it returned, so per step this is opt.step without its overhead
    update = opt._update
    with np.errstate(all="ignore"):
        state = opt.init(x)
        for t in range(1, steps + 1):
            x, state = update(x, state, grad)
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


def _interpolate_at(signal: np.ndarray, time: float):
    """:func:`_interpolate` at one time (a Python float), on Python scalars: the same
    value bit for bit, without the dozen array operations on one element."""
    if not math.isfinite(time):
        return np.float64(np.nan)
    n = len(signal)
    tc = min(max(time, 0.0), n - 1.0)
    lo = math.floor(tc)
    frac = tc - lo
    if frac == 0:
        return signal[lo]
    hi = min(lo + 1, n - 1)
    return signal[lo] + frac * (signal[hi] - signal[lo])


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
                if offset.ndim:             # not one parameter: the array version
                    return _interpolate(signal, t + offset)
                return _interpolate_at(signal, t + float(offset))

            x_new, state = opt.step(x, state, grad)
            updates[t] = x - x_new
            x = x_new
    return updates


def run_with_states(opt: Optimizer, grad, x0, steps: int):
    """Like :func:`optlib.run`, but also return the optimizer's state after every step.

    Returns ``(path, states)``: ``path`` has shape ``(steps + 1, *x0.shape)``, and
    ``states`` is the optimizer's state type (``MomentumState``, ``AdamState``, ...)
    with every field stacked over time: row 0 is the initial state, row t the
    state after step t. Array fields get shape ``(steps + 1, *x0.shape)``,
    scalar fields (``t``, ``mu_product``) shape ``(steps + 1,)``.

    >>> import numpy as np, optlib
    >>> path, states = run_with_states(optlib.momentum(lr=0.1, gamma=0.5),
    ...                                lambda x: np.ones_like(x), np.array([0.0]), 3)
    >>> states.t, states.v[:, 0]
    (array([0, 1, 2, 3]), array([0.   , 0.1  , 0.15 , 0.175]))
    """
    _check_optimizer(opt)
    states = []

    # A wrapper optimizer that remembers every state it hands back, driven by run().
    def init(x):
        states.append(opt.init(x))
        return states[-1]

    def update(x, state, grad):
        x, state = opt.step(x, state, grad)
        states.append(state)
        return x, state

    path = run(Optimizer(opt.name, opt.hyperparams, init, update), grad, x0, steps)
    stacked = (np.stack([np.asarray(s[i]) for s in states]) for i in range(len(states[0])))
    return path, type(states[0])(*stacked)


# --------------------------------------------------------------------------
# Start points
# --------------------------------------------------------------------------

def grid_starts(surface, n: int = 200) -> np.ndarray:
    """An ``n`` x ``n`` grid of start points over the window, shape ``(n * n, 2)``.

    The points are the centres of n x n equal cells tiling the window, listed
    row by row from the bottom: y grows from row to row, x along a row. So
    ``values.reshape(n, n)`` turns one value per start into an image for
    ``plt.imshow(image, origin="lower", extent=surface.extent)``.

    >>> from optlib import surfaces
    >>> grid_starts(surfaces.wobbly, n=2)
    array([[-1.5, -1.5],
           [ 1.5, -1.5],
           [-1.5,  1.5],
           [ 1.5,  1.5]])
    """
    surface = surfaces.get(surface)
    n = _count("n", n)
    (xmin, xmax), (ymin, ymax) = surface.window
    xs = xmin + (np.arange(n) + 0.5) * (xmax - xmin) / n
    ys = ymin + (np.arange(n) + 0.5) * (ymax - ymin) / n
    X, Y = np.meshgrid(xs, ys)
    return np.column_stack([X.ravel(), Y.ravel()])


def cloud_starts(surface, n: int, seed) -> np.ndarray:
    """``n`` start points drawn uniformly over the window, shape ``(n, 2)``.

    The draws come from ``numpy.random.default_rng(seed)``.

    >>> from optlib import surfaces
    >>> starts = cloud_starts(surfaces.rosenbrock, 500, seed=0)
    >>> starts.shape, bool(surfaces.rosenbrock.in_window(starts).all())
    ((500, 2), True)
    """
    surface = surfaces.get(surface)
    n = _count("n", n)
    (xmin, xmax), (ymin, ymax) = surface.window
    return np.random.default_rng(seed).uniform([xmin, ymin], [xmax, ymax], size=(n, 2))


def _check_starts(surface, starts) -> np.ndarray:
    """starts as a float (N, 2) array (one point (2,) becomes (1, 2)), all in the window."""
    starts = np.array(starts, dtype=float)
    if starts.shape == (2,):
        starts = starts[np.newaxis]
    if starts.ndim != 2 or starts.shape[1] != 2 or len(starts) == 0:
        raise ValueError(f"starts must have shape (N, 2) with N >= 1, or (2,), "
                         f"got shape {starts.shape}")
    outside = np.flatnonzero(~surface.in_window(starts))
    if len(outside):
        (xmin, xmax), (ymin, ymax) = surface.window
        i = outside[0]
        raise ValueError(
            f"starts must lie inside the window of {surface.name!r}, x in [{xmin:g}, {xmax:g}] "
            f"and y in [{ymin:g}, {ymax:g}]; start {i} = {tuple(starts[i].tolist())} is outside")
    return starts


# --------------------------------------------------------------------------
# Many runs, and what became of them
# --------------------------------------------------------------------------

class RunManyResult(NamedTuple):
    """N runs on one surface. ``minimum`` indexes ``surface.minima``, or is -1 or -2.

    path: shape ``(steps + 1, N, 2)``, row 0 the start points.
    final: shape ``(N, 2)``, the last iterate of every run.
    minimum: shape ``(N,)``, the minimum each run ended within ``tol`` of;
    ``NOT_CONVERGED`` (-1) or ``DIVERGED`` (-2) otherwise.
    steps_to_converge: shape ``(N,)``, the first step from which the run stays
    within ``tol`` of that minimum to the end, or -1 if it did not converge.
    diverged: shape ``(N,)``, True where the run overflowed or left the box.
    """

    path: np.ndarray
    final: np.ndarray
    minimum: np.ndarray
    steps_to_converge: np.ndarray
    diverged: np.ndarray


def _escape_box(surface):
    """Lower and upper corners of the window widened by its own size on every side."""
    (xmin, xmax), (ymin, ymax) = surface.window
    w, h = xmax - xmin, ymax - ymin
    return np.array([xmin - w, ymin - h]), np.array([xmax + w, ymax + h])


def _label_runs(surface, path, tol):
    """The minimum each run of ``path`` (shape (steps + 1, N, 2)) ended in, and whether it diverged."""
    lower, upper = _escape_box(surface)
    # min and max over time propagate nan, and nan compares False: non-finite runs diverged
    stayed = (path.min(axis=0) >= lower) & (path.max(axis=0) <= upper)
    diverged = ~stayed.all(axis=-1)
    minimum = np.where(diverged, DIVERGED, surface.nearest_minimum(path[-1], tol))
    return minimum, diverged


def run_many(opt: Optimizer, surface, starts, steps: int, tol: float = 0.05) -> RunManyResult:
    """Run ``opt`` from every start point at once; label each run by where it ended.

    ``surface`` is a :class:`~optlib.surfaces.Surface` or its name, ``starts``
    an ``(N, 2)`` array of points inside its window. A run that overflows or
    leaves the box three times the window's size is marked diverged, never
    raised: its non-finite iterates stay in ``path``.

    >>> import optlib
    >>> res = run_many(optlib.sgd(lr=0.1), "two_minimums", [[-0.5, 0.5], [-2.2, -2.3]], 100)
    >>> res.path.shape, res.minimum, res.diverged
    ((101, 2, 2), array([0, 1]), array([False, False]))
    """
    surface = surfaces.get(surface)
    starts = _check_starts(surface, starts)
    tol = _positive("tol", tol)
    path = run(opt, surface.grad, starts, steps)
    minimum, diverged = _label_runs(surface, path, tol)

    # From which step on does each converged run stay within tol of its minimum?
    steps_to_converge = np.full(len(starts), -1)
    ok = minimum >= 0
    if ok.any():
        target = surface.minima[minimum[ok]]
        away = ((path[:, ok] - target) ** 2).sum(axis=-1) > tol ** 2   # (steps + 1, n_ok)
        last_away = len(path) - 1 - np.argmax(away[::-1], axis=0)
        steps_to_converge[ok] = np.where(away.any(axis=0), last_away + 1, 0)
    return RunManyResult(path, path[-1], minimum, steps_to_converge, diverged)


class BasinMap(NamedTuple):
    """Which minimum each start point of an n x n grid ends in.

    labels: shape ``(n, n)``, row i at the i-th y from the bottom; values as
    ``RunManyResult.minimum``. Show it with
    ``plt.imshow(labels, origin="lower", extent=extent)``.
    extent: ``(xmin, xmax, ymin, ymax)``, the surface's window.
    steps: the number of steps every run took.
    """

    labels: np.ndarray
    extent: tuple
    steps: int


#: basins() runs the grid in batches whose trajectories take at most this many bytes.
_BATCH_BYTES = 32 * 2 ** 20


def basins(opt: Optimizer, surface, steps: int = 300, n: int = 200,
           tol: float = 0.05) -> BasinMap:
    """Map the basins of attraction of ``opt`` on ``surface``: one run per cell of an n x n grid.

    Every start point of :func:`grid_starts` runs ``steps`` steps and is
    labelled as in :func:`run_many`. The grid runs in batches, so only one
    batch's trajectories are held in memory at a time (about 32 MB), however
    large ``n`` and ``steps``. A 200 x 200 grid of 300 Adam steps takes about
    a second.

    >>> import optlib
    >>> m = basins(optlib.sgd(lr=0.1), "two_minimums", steps=50, n=4)
    >>> m.labels
    array([[ 1, -1, -1, -1],
           [-1,  0,  0, -1],
           [-1,  0,  0, -1],
           [-1, -1, -1, -1]])
    """
    surface = surfaces.get(surface)
    steps = _count("steps", steps)
    tol = _positive("tol", tol)
    starts = grid_starts(surface, n)
    batch = max(1, _BATCH_BYTES // ((steps + 1) * 2 * 8))   # 2 coordinates of 8 bytes
    labels = np.empty(len(starts), dtype=int)
    for lo in range(0, len(starts), batch):
        path = run(opt, surface.grad, starts[lo:lo + batch], steps)
        labels[lo:lo + batch] = _label_runs(surface, path, tol)[0]
    return BasinMap(labels.reshape(n, n), surface.extent, steps)


def run_many_lrs(method, surface, starts, lrs, steps: int, tol: float = 0.05,
                 **hyperparams) -> RunManyResult:
    r"""Run one method from every start point for every learning rate at once.

    ``method`` is an optimizer's name or factory (``"adam"``, ``optlib.adam``),
    ``lrs`` a list of learning rates, ``hyperparams`` the factory's other
    keywords. The result is a :class:`RunManyResult` whose arrays carry the
    learning rate first: with ``k = len(lrs)`` and ``n = len(starts)``,
    ``path`` has shape ``(steps + 1, k, n, 2)``, ``minimum``,
    ``steps_to_converge`` and ``diverged`` shape ``(k, n)``, ``final`` shape
    ``(k, n, 2)``; the labels are those of :func:`run_many`.

    Why one run suffices (chapter 10 proves it). Every rule of optlib except
    AdamW moves by the learning rate times a quantity built from the
    gradients seen so far, :math:`x_t = x_{t-1} - \eta\, \mathcal{J}_t(g_1,
    \dots, g_t)`, with neither :math:`\eta` nor :math:`x` inside
    :math:`\mathcal{J}_t` (momentum's velocity is :math:`\eta` times a sum of
    gradients; Adam's ratio has no :math:`\eta`). Then the run with the
    learning rate :math:`\mathcal{H}\eta` from :math:`x_0` is
    :math:`x_t = \mathcal{H} x'_t`, where :math:`x'_t` is the run with
    :math:`\eta` from :math:`x_0 / \mathcal{H}` on the gradient field
    :math:`x' \mapsto \nabla f(\mathcal{H} x')`: both see the same
    gradients, so both build the same :math:`\mathcal{J}_t`. So all
    ``k * n`` runs are one run of a ``(k * n, 2)`` array with ``lr = 1`` and
    one factor :math:`\mathcal{H}` (the learning rate) per row, exact up to
    rounding, which chaotic runs amplify as they amplify any. AdamW's decay
    :math:`\eta\,\omega\, x` is proportional to x itself and breaks the
    identity: with ``weight_decay > 0`` it runs one learning rate at a time.

    >>> res = run_many_lrs("sgd", "two_minimums", [[-0.5, 0.5], [-2.2, -2.3]],
    ...                    [0.05, 0.1], 100)
    >>> res.path.shape, res.minimum.tolist()
    ((101, 2, 2, 2), [[0, 1], [0, 1]])
    """
    from .optimizers import OPTIMIZERS
    if isinstance(method, str) and method in OPTIMIZERS:
        factory = OPTIMIZERS[method]
    elif any(method is f for f in OPTIMIZERS.values()):
        factory = method
    else:
        raise ValueError(f"method must be one of optlib's optimizers or its name "
                         f"({', '.join(OPTIMIZERS)}), got {method!r}")
    surface = surfaces.get(surface)
    starts = _check_starts(surface, starts)
    steps = _count("steps", steps)
    tol = _positive("tol", tol)
    if isinstance(lrs, (str, bytes)) or np.ndim(lrs) != 1 or len(lrs) == 0:
        raise ValueError(f"lrs must be a non-empty list of learning rates, got {lrs!r}")
    lrs = np.array([_positive("lr", v) for v in lrs])
    opt = factory(lr=1.0, **hyperparams)                 # checks the other hyperparameters
    L, N = len(lrs), len(starts)
    if opt.name == "adamw" and opt.weight_decay != 0:
        path = np.stack([run(factory(lr=float(lr), **hyperparams), surface.grad, starts, steps)
                         for lr in lrs], axis=1)
    else:
        c = np.repeat(lrs, N)[:, np.newaxis]              # one factor per row, (L * N, 1)
        path_y = run(opt, lambda y: surface.grad(c * y), np.tile(starts, (L, 1)) / c, steps)
        with np.errstate(all="ignore"):                 # diverged runs stay non-finite
            path = (path_y * c).reshape(steps + 1, L, N, 2)
    flat = path.reshape(steps + 1, L * N, 2)
    minimum, diverged = _label_runs(surface, flat, tol)
    steps_to_converge = np.full(L * N, -1)
    ok = minimum >= 0
    if ok.any():
        target = surface.minima[minimum[ok]]
        away = ((flat[:, ok] - target) ** 2).sum(axis=-1) > tol ** 2
        last_away = len(flat) - 1 - np.argmax(away[::-1], axis=0)
        steps_to_converge[ok] = np.where(away.any(axis=0), last_away + 1, 0)
    shape = (L, N)
    return RunManyResult(path, path[-1], minimum.reshape(shape),
                         steps_to_converge.reshape(shape), diverged.reshape(shape))
