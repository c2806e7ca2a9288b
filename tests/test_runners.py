"""Tests for optlib.runners: states over time, start points, many runs, basins."""
import warnings

import numpy as np
import pytest

import optlib
from optlib import runners, surfaces

FACTORIES = {
    "sgd": lambda: optlib.sgd(lr=0.05),
    "momentum": lambda: optlib.momentum(lr=0.02, gamma=0.9),
    "nesterov": lambda: optlib.nesterov(lr=0.02, gamma=0.9),
    "adagrad": lambda: optlib.adagrad(lr=0.3),
    "rmsprop": lambda: optlib.rmsprop(lr=0.05, gamma=0.9),
    "adadelta": lambda: optlib.adadelta(lr=1.0, gamma=0.9, eps=1e-3),
    "adam": lambda: optlib.adam(lr=0.05),
    "adamax": lambda: optlib.adamax(lr=0.05),
    "nadam": lambda: optlib.nadam(lr=0.05),
    "amsgrad": lambda: optlib.amsgrad(lr=0.05),
    "adamw": lambda: optlib.adamw(lr=0.05, weight_decay=0.1),
}


# --------------------------------------------------------------------------
# run_with_states
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_run_with_states_matches_manual_stepping(name):
    opt, s = FACTORIES[name](), surfaces.wobbly
    x0 = np.array([[-2.8, -2.5], [1.0, 2.0], [0.5, -0.5]])
    steps = 12
    path, states = runners.run_with_states(opt, s.grad, x0, steps)

    np.testing.assert_array_equal(path, optlib.run(opt, s.grad, x0, steps))
    x, state = x0, opt.init(x0)
    assert type(states) is type(state)
    manual = [state]
    for _ in range(steps):
        x, state = opt.step(x, state, s.grad)
        manual.append(state)
    for field in state._fields:
        stacked = getattr(states, field)
        expected = np.stack([np.asarray(getattr(m, field)) for m in manual])
        np.testing.assert_array_equal(stacked, expected)
        if np.ndim(getattr(state, field)) == 0:         # t, mu_product
            assert stacked.shape == (steps + 1,)
        else:
            assert stacked.shape == (steps + 1,) + x0.shape
    np.testing.assert_array_equal(states.t, np.arange(steps + 1))


def test_run_with_states_hand_worked_momentum():
    # v_t = 0.5 v_{t-1} + 0.1 * 1: 0, 0.1, 0.15, 0.175; x falls by v_t each step
    path, states = runners.run_with_states(optlib.momentum(lr=0.1, gamma=0.5),
                                           lambda x: np.ones_like(x), np.zeros(2), 3)
    np.testing.assert_allclose(states.v[:, 0], [0.0, 0.1, 0.15, 0.175])
    np.testing.assert_allclose(path[:, 1], [0.0, -0.1, -0.25, -0.425])


def test_run_with_states_validates():
    with pytest.raises(ValueError, match="opt must be an optlib optimizer"):
        runners.run_with_states("adam", surfaces.wobbly.grad, np.zeros(2), 3)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        runners.run_with_states(optlib.sgd(), surfaces.wobbly.grad, np.zeros(2), 0)


# --------------------------------------------------------------------------
# Start points
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["wobbly", "rosenbrock", "beale"])
def test_grid_starts(name):
    s = surfaces.get(name)
    (xmin, xmax), (ymin, ymax) = s.window
    n = 7
    starts = runners.grid_starts(s, n)
    assert starts.shape == (n * n, 2)
    assert s.in_window(starts).all()
    image = starts.reshape(n, n, 2)           # rows follow y upwards, columns x rightwards
    dx, dy = (xmax - xmin) / n, (ymax - ymin) / n
    np.testing.assert_allclose(image[0, :, 0], xmin + dx * (np.arange(n) + 0.5))
    np.testing.assert_allclose(image[:, 0, 1], ymin + dy * (np.arange(n) + 0.5))
    assert np.all(image[:, :, 0] == image[0, :, 0]) and np.all(image[:, :, 1].T == image[:, 0, 1])
    np.testing.assert_array_equal(runners.grid_starts(name, n), starts)


def test_cloud_starts():
    s = surfaces.rosenbrock
    a = runners.cloud_starts(s, 1000, seed=4)
    assert a.shape == (1000, 2) and s.in_window(a).all()
    np.testing.assert_array_equal(a, runners.cloud_starts("rosenbrock", 1000, seed=4))
    assert not np.array_equal(a, runners.cloud_starts(s, 1000, seed=5))
    # spread over the whole window
    assert a[:, 0].min() < -1.9 and a[:, 0].max() > 1.9 and a[:, 1].min() < -0.9


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_start_counts_validated(bad):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        runners.grid_starts(surfaces.wobbly, bad)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        runners.cloud_starts(surfaces.wobbly, bad, seed=0)


# --------------------------------------------------------------------------
# run_many
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sgd", "nesterov", "adam", "nadam"])
def test_run_many_equals_separate_runs(name):
    opt, s = FACTORIES[name](), surfaces.hills_and_canyon
    starts = runners.cloud_starts(s, 6, seed=1)
    res = runners.run_many(opt, s, starts, 40)
    assert res.path.shape == (41, 6, 2)
    assert res.final.shape == (6, 2) and res.minimum.shape == (6,)
    assert res.steps_to_converge.shape == (6,) and res.diverged.shape == (6,)
    assert res.minimum.dtype.kind == "i" and res.diverged.dtype == bool
    np.testing.assert_array_equal(res.final, res.path[-1])
    for i, start in enumerate(starts):
        alone = runners.run_many(opt, s, start, 40)            # one point, shape (2,)
        np.testing.assert_array_equal(alone.path[:, 0], res.path[:, i])
        np.testing.assert_array_equal(optlib.run(opt, s.grad, start, 40), res.path[:, i])
        assert alone.minimum[0] == res.minimum[i]
        assert alone.steps_to_converge[0] == res.steps_to_converge[i]


def test_sgd_converges_to_the_nearest_minimum_of_two_minimums():
    s = surfaces.two_minimums
    starts = s.minima + [[0.3, -0.2], [0.2, 0.25]]
    res = runners.run_many(optlib.sgd(lr=0.1), s, starts, 300, tol=1e-3)
    np.testing.assert_array_equal(res.minimum, [0, 1])
    assert not res.diverged.any()
    np.testing.assert_allclose(res.final, s.minima, atol=1e-3)
    # the seed's claim: from its start point gradient descent settles in the shallow well
    seed = runners.run_many(optlib.sgd(lr=0.1), s, s.start, 300)
    assert seed.minimum[0] == 1


def test_steps_to_converge_is_when_the_run_stays_within_tol():
    s, tol = surfaces.ill_conditioned_quadratic, 0.05
    res = runners.run_many(optlib.momentum(lr=0.05, gamma=0.8), s,
                           runners.cloud_starts(s, 20, seed=2), 200, tol=tol)
    assert np.all(res.minimum == 0)
    for i, t in enumerate(res.steps_to_converge):
        dist = np.linalg.norm(res.path[:, i] - s.minima[0], axis=-1)
        assert 0 < t <= 200
        assert np.all(dist[t:] <= tol) and dist[t - 1] > tol
    # a start already at the minimum has converged at step 0
    at_min = runners.run_many(optlib.sgd(lr=0.01), s, [0.0, 0.0], 5, tol=tol)
    assert at_min.steps_to_converge[0] == 0


def test_not_converged_runs():
    s = surfaces.giant_plateau                 # slope 2e-5 at the start: sgd hardly moves
    res = runners.run_many(optlib.sgd(lr=0.01), s, s.start, 100)
    assert res.minimum[0] == runners.NOT_CONVERGED == -1
    assert res.steps_to_converge[0] == -1 and not res.diverged[0]


def test_divergence_is_marked_not_raised():
    s = surfaces.ill_conditioned_quadratic     # L = 10: sgd is unstable for lr > 0.2
    starts = runners.cloud_starts(s, 5, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = runners.run_many(optlib.sgd(lr=5.0), s, starts, 2000)
        m = runners.basins(optlib.sgd(lr=5.0), s, steps=2000, n=4)
    assert not np.isfinite(res.final).any()      # overflowed to inf, then nan
    assert res.diverged.all()
    np.testing.assert_array_equal(res.minimum, runners.DIVERGED)
    np.testing.assert_array_equal(res.steps_to_converge, -1)
    assert np.all(m.labels == runners.DIVERGED)
    # a stable lr on the same problem converges
    assert np.all(runners.run_many(optlib.sgd(lr=0.15), s, starts, 2000).minimum == 0)


def test_leaving_the_box_counts_as_diverged():
    s = surfaces.saddle                        # f falls without bound along y
    res = runners.run_many(optlib.sgd(lr=0.1), s, s.start, 60)
    assert np.isfinite(res.path).all()
    assert res.diverged[0] and res.minimum[0] == runners.DIVERGED
    short = runners.run_many(optlib.sgd(lr=0.1), s, s.start, 5)   # still near the saddle
    assert not short.diverged[0] and short.minimum[0] == runners.NOT_CONVERGED


# --------------------------------------------------------------------------
# basins
# --------------------------------------------------------------------------

def test_basins_agree_with_run_many(monkeypatch):
    s, n, steps = surfaces.two_minimums, 12, 80
    opt = optlib.adam(lr=0.1)
    expected = runners.run_many(opt, s, runners.grid_starts(s, n), steps).minimum.reshape(n, n)
    m = runners.basins(opt, "two_minimums", steps=steps, n=n)
    assert m.labels.shape == (n, n)
    assert m.extent == (-3.0, 3.0, -3.0, 3.0) and m.steps == steps
    np.testing.assert_array_equal(m.labels, expected)
    # many small batches give the same map
    monkeypatch.setattr(runners, "_BATCH_BYTES", 1000)
    np.testing.assert_array_equal(runners.basins(opt, s, steps=steps, n=n).labels, expected)


def test_basins_of_basins_and_walls():
    # sgd with a small lr stays in the basin of its start: vertical stripes, the
    # seven minima of the window, and at both edges the basins of two minima just outside
    s = surfaces.basins_and_walls
    m = runners.basins(optlib.sgd(lr=0.05), s, steps=400, n=30)
    assert np.all(m.labels == m.labels[0])      # the stripes do not depend on y
    row = m.labels[0]
    assert set(row[3:-3]) == set(range(7))
    assert row[0] == row[-1] == runners.NOT_CONVERGED


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

def test_bad_input_raises():
    opt, s = optlib.sgd(lr=0.01), surfaces.wobbly
    with pytest.raises(ValueError, match="unknown surface 'wobly'.*'wobbly'"):
        runners.run_many(opt, "wobly", [0.0, 0.0], 10)
    with pytest.raises(ValueError, match="unknown surface"):
        runners.basins(opt, "nope")
    with pytest.raises(ValueError, match=r"inside the window of 'wobbly', x in \[-3, 3\]"):
        runners.run_many(opt, s, [[0.0, 0.0], [3.5, 0.0]], 10)
    with pytest.raises(ValueError, match="start 0"):
        runners.run_many(opt, s, [np.nan, 0.0], 10)
    for steps in (0, -5, 2.5):
        with pytest.raises(ValueError, match="steps must be an integer >= 1"):
            runners.run_many(opt, s, [0.0, 0.0], steps)
        with pytest.raises(ValueError, match="steps must be an integer >= 1"):
            runners.basins(opt, s, steps=steps, n=3)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        runners.basins(opt, s, steps=5, n=0)
    for tol in (0, -0.1, np.nan):
        with pytest.raises(ValueError, match="tol must be finite and > 0"):
            runners.run_many(opt, s, [0.0, 0.0], 5, tol=tol)
        with pytest.raises(ValueError, match="tol must be finite and > 0"):
            runners.basins(opt, s, steps=5, n=3, tol=tol)
    for starts in (np.zeros((3, 3)), np.zeros((0, 2)), np.zeros(3)):
        with pytest.raises(ValueError, match=r"starts must have shape \(N, 2\)"):
            runners.run_many(opt, s, starts, 5)
    with pytest.raises(ValueError, match="opt must be an optlib optimizer"):
        runners.run_many(lambda x: x, s, [0.0, 0.0], 5)
    with pytest.raises(ValueError, match="grad must be a callable grad"):
        runners.run(opt, np.ones(2), np.zeros(2), 5)


def test_exported_from_the_package():
    for name in ("run_with_states", "run_many", "grid_starts", "cloud_starts", "basins"):
        assert getattr(optlib, name) is getattr(runners, name)
        assert name in optlib.__all__
    assert optlib.signals.SIGNALS and optlib.surfaces.SURFACES


# --------------------------------------------------------------------------
# run_many_lrs: every learning rate in one run
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_run_many_lrs_equals_one_run_per_lr(name):
    ref = FACTORIES[name]()
    hp = {k: v for k, v in ref.hyperparams.items() if k != "lr"}
    # a smooth surface where no run is chaotic: rounding differences stay small
    s = surfaces.two_minimums
    starts = np.array([s.start, [1.0, -0.5], [-0.3, 2.0]])
    lrs = [ref.lr * f for f in (0.1, 0.5, 1.0, 3.0)]
    res = runners.run_many_lrs(name, s, starts, lrs, 60, **hp)
    assert res.path.shape == (61, 4, 3, 2)
    assert res.minimum.shape == res.diverged.shape == res.steps_to_converge.shape == (4, 3)
    for i, lr in enumerate(lrs):
        one = runners.run_many(optlib.OPTIMIZERS[name](lr=lr, **hp), s, starts, 60)
        np.testing.assert_allclose(res.path[:, i], one.path, rtol=1e-7, atol=1e-7)
        np.testing.assert_array_equal(res.minimum[i], one.minimum)
        np.testing.assert_array_equal(res.steps_to_converge[i], one.steps_to_converge)
        np.testing.assert_array_equal(res.diverged[i], one.diverged)


def test_run_many_lrs_labels_divergence_per_lr():
    s = surfaces.two_minimums
    res = runners.run_many_lrs(optlib.sgd, s, [[-0.5, 0.5]], [0.1, 50.0], 200)
    assert res.minimum.tolist() == [[0], [runners.DIVERGED]]
    assert res.diverged.tolist() == [[False], [True]]


def test_run_many_lrs_bad_input():
    s = surfaces.wobbly
    with pytest.raises(ValueError, match="method must be one of"):
        runners.run_many_lrs("sgdd", s, [s.start], [0.1], 10)
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        runners.run_many_lrs("adam", s, [s.start], [0.1, -1.0], 10)
    with pytest.raises(ValueError, match="lrs must be a non-empty list"):
        runners.run_many_lrs("adam", s, [s.start], [], 10)
    with pytest.raises(ValueError, match="gamma"):
        runners.run_many_lrs("momentum", s, [s.start], [0.1], 10, gamma=1.5)
    with pytest.raises(ValueError, match="inside the window"):
        runners.run_many_lrs("adam", s, [[10.0, 0.0]], [0.1], 10)


def test_the_first_run_on_a_large_batch_primes_the_allocator_once(monkeypatch):
    """run() frees one large block before its first run on a large batch (glibc then keeps
    the steps' arrays in its heap: runners._prime_allocator); small runs do not, and the
    trajectory is the same either way."""
    made = []
    real_empty = np.empty
    monkeypatch.setattr(runners, "_allocator_primed", False)
    monkeypatch.setattr(runners.np, "empty", lambda shape, *a, **k: (
        made.append(shape), real_empty(shape, *a, **k))[1])
    grad = lambda x: 2 * x                                            # noqa: E731
    small = optlib.run(optlib.adam(lr=0.1), grad, np.ones(3), 5)
    assert runners.PRIME_BYTES not in made and not runners._allocator_primed
    big_start = np.ones((runners.PRIME_FROM_BYTES // 16, 2))
    big = optlib.run(optlib.adam(lr=0.1), grad, big_start, 5)
    assert made.count(runners.PRIME_BYTES) == 1 and runners._allocator_primed
    again = optlib.run(optlib.adam(lr=0.1), grad, big_start, 5)
    assert made.count(runners.PRIME_BYTES) == 1
    np.testing.assert_array_equal(big, again)
    np.testing.assert_array_equal(big[:, 0, 0], small[:, 0])
