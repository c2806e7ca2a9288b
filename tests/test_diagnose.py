"""optlib.diagnose: the curve diagnosis's rules, and the noise floor against simulation."""
import math

import numpy as np
import pytest

import optlib
from optlib import diagnose, surfaces


def test_each_rule_on_a_curve_made_for_it():
    t = np.arange(200)
    assert diagnose.classify_curve(0.9 ** t) == "converging"
    assert diagnose.classify_curve(1.05 ** t) == "diverging"
    assert diagnose.classify_curve(np.r_[1.0, 0.5, np.nan, np.ones(10)]) == "diverging"
    assert diagnose.classify_curve(np.full(50, 2.0)) == "plateau"
    assert diagnose.classify_curve(1 - 0.05 * (t / t[-1])) == "plateau"     # lost 5 %
    waves = 0.9 ** t * (1.1 + np.cos(0.5 * t))
    assert diagnose.classify_curve(waves) == "oscillating"
    rng = np.random.default_rng(0)
    floor = 0.1 + 5 * 0.8 ** t + 0.01 * rng.random(200)
    assert diagnose.classify_curve(floor) == "noise floor"
    slow = 1.0 / (1 + t)                                                   # smooth, slow
    assert diagnose.classify_curve(slow) == "converging"


def test_edges_of_the_rules():
    # ends exactly at its start: not diverging, and stuck
    assert diagnose.classify_curve([1.0, 0.5, 0.2, 0.1, 0.3, 0.6, 0.9, 1.0]) == "plateau"
    # a loss that reaches 0 exactly: the third quarter's mean is 0
    assert diagnose.classify_curve([4.0, 2.0, 1.0] + [0.0] * 9) == "converging"
    with pytest.raises(ValueError, match="at least 8"):
        diagnose.classify_curve([1.0, 0.5, 0.2])
    with pytest.raises(ValueError, match="stuck"):
        diagnose.classify_curve(np.ones(10), stuck=0.0)


def test_real_runs_on_the_quadratic():
    quad = surfaces.rotated_quadratic(L=10.0, mu=1.0)
    run = lambda opt: quad.f(optlib.run(opt, quad.grad, quad.start, 200))
    assert diagnose.classify_curve(run(optlib.sgd(lr=0.21))) == "diverging"
    assert diagnose.classify_curve(run(optlib.sgd(lr=0.1))) == "converging"
    assert diagnose.classify_curve(run(optlib.momentum(lr=0.1, gamma=0.9))) == "oscillating"


def test_noise_floor_formula():
    # SGD, one curvature: eta sigma^2 / (2 (2 - eta lambda))
    assert diagnose.noise_floor(0.1, [1.0], 1.0) == pytest.approx(0.1 / 3.8, rel=1e-15)
    # proportional to sigma^2 and additive over directions
    a = diagnose.noise_floor(0.05, [1.0, 4.0], 2.0)
    assert a == pytest.approx(4 * (diagnose.noise_floor(0.05, [1.0], 1.0)
                                   + diagnose.noise_floor(0.05, [4.0], 1.0)), rel=1e-14)
    # at and beyond the stability limit 2 (1 + gamma) / lambda
    assert math.isinf(diagnose.noise_floor(0.2, [10.0], 1.0))
    assert math.isinf(diagnose.noise_floor(0.38, [10.0], 1.0, gamma=0.9))
    assert np.isfinite(diagnose.noise_floor(0.37, [10.0], 1.0, gamma=0.9))
    # arrays of learning rates
    out = diagnose.noise_floor(np.array([0.01, 0.02, 0.3]), [10.0], 1.0)
    assert out.shape == (3,) and np.isinf(out[2]) and out[1] > 2 * out[0]
    with pytest.raises(ValueError, match="gamma"):
        diagnose.noise_floor(0.1, [1.0], 1.0, gamma=1.0)
    with pytest.raises(ValueError, match="curvatures"):
        diagnose.noise_floor(0.1, [0.0], 1.0)
    with pytest.raises(ValueError, match="lr"):
        diagnose.noise_floor(-0.1, [1.0], 1.0)


@pytest.mark.parametrize("gamma, lr", [(0.0, 0.05), (0.5, 0.02)])
def test_noise_floor_matches_simulation(gamma, lr):
    # an independent check: many noisy runs of optlib's own optimizers
    quad = surfaces.rotated_quadratic(L=10.0, mu=1.0)
    lam = np.linalg.eigvalsh(quad.hessian(quad.start))
    rng = np.random.default_rng(1)
    noise = iter(rng.standard_normal((1200, 300, 2)))
    opt = optlib.momentum(lr=lr, gamma=gamma) if gamma else optlib.sgd(lr=lr)
    path = optlib.run(opt, lambda x: quad.grad(x) + next(noise),
                      np.tile(quad.start, (300, 1)), 1199)
    measured = quad.f(path[-600:]).mean()
    assert measured == pytest.approx(diagnose.noise_floor(lr, lam, 1.0, gamma=gamma), rel=0.08)
