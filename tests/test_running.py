"""Tests of optlib.runners' single-run drivers: ``run`` (whole trajectories) and ``respond``
(the 1D response to a signal). The many-run helpers are tested in test_runners.py.

Expected values come from hand-worked numbers or from the update rules written
out independently here, never from optlib's own output.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import optlib

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

ALL = [factory() for factory in optlib.OPTIMIZERS.values()]
ALL_IDS = list(optlib.OPTIMIZERS)


# ==========================================================================
# run
# ==========================================================================

@pytest.mark.parametrize("shape", [(), (3,), (4, 2)])
@pytest.mark.parametrize("opt", ALL, ids=ALL_IDS)
def test_run_shape_row_zero_and_rows_are_the_steps(opt, shape):
    x0 = np.linspace(-1.0, 1.5, int(np.prod(shape))).reshape(shape)
    x0_copy = x0.copy()
    grad = lambda x: 2 * x + np.sin(x)          # noqa: E731
    path = optlib.run(opt, grad, x0, 7)
    assert path.shape == (8, *shape) and path.dtype == np.float64
    np.testing.assert_array_equal(path[0], x0)
    np.testing.assert_array_equal(x0, x0_copy)
    # each row is one more call of step, made here by hand
    x, state = x0, opt.init(x0)
    for t in range(1, 8):
        x, state = opt.step(x, state, grad)
        np.testing.assert_array_equal(path[t], x)


def test_run_by_hand():
    # x_t = x_{t-1} - 0.25 * 2 x_{t-1} = x_{t-1} / 2
    path = optlib.run(optlib.sgd(lr=0.25), lambda x: 2 * x, [8, -4], 3)
    np.testing.assert_array_equal(path, [[8, -4], [4, -2], [2, -1], [1, -0.5]])


def test_run_accepts_numpy_integer_steps():
    assert optlib.run(optlib.sgd(), lambda x: x, np.zeros(2), np.int64(4)).shape == (5, 2)


@pytest.mark.parametrize("steps", [0, -1, 2.5, 3.0, True, False, "3", None])
def test_run_rejects_bad_steps(steps):
    with pytest.raises(ValueError, match=rf"^steps must be an integer >= 1, got {steps!r}"):
        optlib.run(optlib.sgd(), lambda x: x, np.zeros(2), steps)


@pytest.mark.parametrize("opt", ["adam", optlib.adam, None, object()],
                         ids=["string", "factory-not-called", "none", "object"])
def test_run_and_respond_reject_what_is_not_an_optimizer(opt):
    with pytest.raises(ValueError, match="opt must be an optlib optimizer such as optlib.adam()"):
        optlib.run(opt, lambda x: x, np.zeros(2), 3)
    with pytest.raises(ValueError, match="opt must be an optlib optimizer"):
        optlib.respond(opt, np.ones(3))


# ==========================================================================
# respond
# ==========================================================================

@pytest.mark.parametrize("opt", ALL, ids=ALL_IDS)
def test_respond_length_and_sign_convention(opt):
    # a positive gradient lowers the parameter: the update (amount subtracted) is positive
    n = 30
    up, down = optlib.respond(opt, np.full(n, 2.0)), optlib.respond(opt, np.full(n, -2.0))
    assert up.shape == down.shape == (n,)
    assert (up > 0).all() and (down < 0).all()
    mixed = optlib.respond(opt, [3.0, -1.0, 0.5])
    assert mixed.shape == (3,) and mixed[0] > 0


def test_respond_of_sgd_is_lr_times_the_signal():
    signal = np.random.default_rng(0).integers(-5, 6, size=200).astype(float)
    # lr = 1/4 and integer gradients keep every iterate exact: the equality is exact
    np.testing.assert_array_equal(optlib.respond(optlib.sgd(lr=0.25), signal), 0.25 * signal)
    real = np.random.default_rng(1).normal(size=300)
    np.testing.assert_allclose(optlib.respond(optlib.sgd(lr=0.1), real), 0.1 * real,
                               rtol=1e-12, atol=1e-14)


def test_respond_of_momentum_is_the_velocity():
    # v_t = gamma v_{t-1} + lr s_t, v_0 = 0, written out independently
    def velocity(signal, lr, gamma):
        v, out = 0.0, []
        for s in signal:
            v = gamma * v + lr * s
            out.append(v)
        return np.array(out)

    short = np.array([4.0, 0.0, -2.0, 1.0])
    # by hand: v = 2, 1, -0.5 + ... = 0.5 - 1 = -0.5, -0.25 + 0.5 = 0.25
    np.testing.assert_array_equal(optlib.respond(optlib.momentum(lr=0.5, gamma=0.5), short),
                                  [2.0, 1.0, -0.5, 0.25])
    signal = np.sin(np.arange(200) / 7.0) + np.random.default_rng(2).normal(size=200)
    for lr, gamma in [(0.1, 0.9), (0.5, 0.0), (1.0, 0.99)]:
        np.testing.assert_allclose(optlib.respond(optlib.momentum(lr=lr, gamma=gamma), signal),
                                   velocity(signal, lr, gamma), rtol=1e-10, atol=1e-13)


def test_respond_of_nesterov_reads_the_signal_ahead_by_hand():
    # A linear ramp s(t) = 1 + t/2, so linear interpolation is exact. Nesterov evaluates the
    # gradient at y = x - gamma v, i.e. (x - y) = gamma v steps ahead of now:
    #   t = 0: read s(0) = 1,                               v = 0.5 * 1 = 0.5
    #   t = 1: read s(1 + 0.25) = 1.625,                    v = 0.25 + 0.8125 = 1.0625
    #   t = 2: read s(2 + 0.53125) = 2.265625,              v = 0.53125 + 1.1328125 = 1.6640625
    #   t = 3: read s(3 + 0.83203125) = 2.916015625,        v = 0.83203125 + 1.4580078125
    ramp = 1 + np.arange(10) / 2
    got = optlib.respond(optlib.nesterov(lr=0.5, gamma=0.5), ramp)
    np.testing.assert_array_equal(got[:4], [0.5, 1.0625, 1.6640625, 2.2900390625])
    # time_scale = 2 reads twice as far: t = 1 reads s(1 + 2 * 0.25) = 1.75, v = 0.25 + 0.875
    got = optlib.respond(optlib.nesterov(lr=0.5, gamma=0.5), ramp, time_scale=2.0)
    np.testing.assert_array_equal(got[:2], [0.5, 1.125])
    # momentum reads s(t) itself: t = 1 gives v = 0.25 + 0.5 * 1.5 = 1.0
    np.testing.assert_array_equal(optlib.respond(optlib.momentum(lr=0.5, gamma=0.5), ramp)[:2],
                                  [0.5, 1.0])


def test_respond_of_nesterov_holds_the_last_value_past_the_end():
    # t = 1 reads s(1 + 0.25), past the last sample: held at s(1) = 2, v = 0.25 + 0.5 * 2
    got = optlib.respond(optlib.nesterov(lr=0.5, gamma=0.5), [1.0, 2.0])
    np.testing.assert_array_equal(got, [0.5, 1.25])


def test_respond_of_nesterov_without_momentum_is_sgd():
    signal = np.random.default_rng(3).normal(size=100)
    np.testing.assert_array_equal(optlib.respond(optlib.nesterov(lr=0.1, gamma=0.0), signal),
                                  optlib.respond(optlib.sgd(lr=0.1), signal))


@pytest.mark.parametrize("signal", [np.ones((2, 3)), np.array([]), np.float64(3.0), [[1.0]]],
                         ids=["2d", "empty", "scalar", "nested-list"])
def test_respond_rejects_a_signal_that_is_not_a_non_empty_1d_array(signal):
    shape = re.escape(str(np.shape(signal)))
    with pytest.raises(ValueError, match=rf"must be a non-empty 1D array, got shape {shape}"):
        optlib.respond(optlib.sgd(), signal)


@pytest.mark.parametrize("opt", ALL, ids=ALL_IDS)
def test_respond_to_a_non_finite_signal_neither_raises_nor_warns(opt):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = optlib.respond(opt, [1.0, 2.0, np.inf, 1.0, np.nan, 1.0])
    assert got.shape == (6,) and not np.isfinite(got).all()
    # what comes before the inf is unaffected by it (Nesterov, looking ahead, reads it at t = 1)
    assert np.isfinite(got[:1 if opt.name == "nesterov" else 2]).all()


def test_respond_reads_a_sample_exactly_next_to_a_non_finite_one():
    np.testing.assert_array_equal(optlib.respond(optlib.sgd(lr=0.5), [1.0, 2.0, np.nan]),
                                  [0.5, 1.0, np.nan])
    np.testing.assert_array_equal(optlib.respond(optlib.momentum(lr=0.5, gamma=0.5), [2.0, np.inf]),
                                  [1.0, np.inf])


@pytest.mark.parametrize("opt", [factory(lr=0.3) for factory in optlib.OPTIMIZERS.values()],
                         ids=ALL_IDS)
def test_respond_reads_the_signal_bit_for_bit_as_the_array_interpolation_does(opt, monkeypatch):
    """respond reads one time at a time on Python scalars (runners._interpolate_at); it
    gives what the array interpolation gives, to the last bit, on every signal (a
    look-ahead of Nesterov's reads between samples and past both ends), on a non-finite
    signal and at several time scales."""
    from optlib import runners
    signals = [f(120) for f in optlib.signals.SIGNALS.values()]
    signals += [np.array([1.0, 2.0, np.inf, 1.0, np.nan, 1.0]), np.array([3.0]),
                np.linspace(-40.0, 40.0, 50) ** 3]
    scales = (1.0, 0.37, 25.0)
    fast = [runners.respond(opt, s, k) for s in signals for k in scales]
    monkeypatch.setattr(runners, "_interpolate_at",
                        lambda signal, time: runners._interpolate(signal, np.float64(time)))
    slow = [runners.respond(opt, s, k) for s in signals for k in scales]
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
