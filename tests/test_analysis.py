"""optlib.analysis: the quadratic-rate formulas against simulations with optlib's optimizers."""
import numpy as np
import pytest

import optlib
from optlib import analysis

CURV = np.array([0.5, 2.0, 10.0])  # a diagonal quadratic, kappa = 20


def grad(x):
    return CURV * x


def empirical_rate(opt, steps=400):
    """Geometric-mean shrink factor of |x| over the last half of a long run."""
    path = optlib.run(opt, grad, np.ones(3), steps)
    norms = np.linalg.norm(path, axis=1)
    half = steps // 2
    return (norms[steps] / norms[half]) ** (1 / (steps - half))


@pytest.mark.parametrize("lr,gamma", [(0.05, 0.0), (0.15, 0.0), (0.05, 0.5), (0.1, 0.8),
                                      (0.02, 0.95), (0.15, 0.3)])
@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_rate_matches_simulation(method, lr, gamma):
    opt = getattr(optlib, method)(lr=lr, gamma=gamma)
    predicted = float(analysis.rate(method, lr, gamma, CURV))
    assert empirical_rate(opt) == pytest.approx(predicted, abs=0.01)


@pytest.mark.parametrize("lr", [0.02, 0.1, 0.18])
def test_gd_rate_matches_simulation(lr):
    assert empirical_rate(optlib.sgd(lr=lr)) == pytest.approx(
        float(analysis.rate("gd", lr, curvatures=CURV)), abs=0.01)


def test_gd_stability_limit_is_sharp():
    limit = analysis.gd_stability_limit(CURV.max())
    assert analysis.rate("gd", 0.999 * limit, curvatures=CURV) < 1
    assert analysis.rate("gd", 1.001 * limit, curvatures=CURV) > 1
    path = optlib.run(optlib.sgd(lr=1.01 * limit), grad, np.ones(3), 2000)
    assert abs(path[-1, 2]) > 1e3


def test_optimal_momentum_beats_optimal_gd_and_is_optimal_on_grid():
    mu, L = CURV.min(), CURV.max()
    lr, gamma, r = analysis.optimal_momentum(mu, L)
    kappa = L / mu
    assert r == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
    assert float(analysis.rate("momentum", lr, gamma, CURV)) == pytest.approx(r, rel=1e-6)
    assert r < analysis.optimal_gd(mu, L)[1]
    lrs, gammas = np.meshgrid(np.linspace(0.01, 0.3, 121), np.linspace(0, 0.99, 100))
    assert analysis.rate("momentum", lrs, gammas, CURV).min() >= r - 1e-9


def test_critical_gamma_separates_real_and_complex_roots():
    lr, lam = 0.1, 2.0
    gc = float(analysis.critical_gamma(lr, lam))
    b, c = analysis.recurrence("momentum", lr, gc, lam)
    assert b * b - 4 * c == pytest.approx(0, abs=1e-12)
    above = float(analysis.rate("momentum", lr, gc + 0.1, [lam]))
    assert above == pytest.approx(np.sqrt(gc + 0.1))


def test_steps_to_reach():
    assert analysis.steps_to_reach(1.0) == np.inf
    assert analysis.steps_to_reach(0.9, 1e-6) == np.ceil(np.log(1e-6) / np.log(0.9))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be one of gd, momentum, nesterov"):
        analysis.rate("adam", 0.1)


# stability_limit: the formulas against a scan of the root modulus, then against optlib runs
GAMMAS = [0.0, 0.1, 0.5, 0.9, 0.99]


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov"])
def test_stability_limit_is_where_the_rate_reaches_one(method, gamma):
    limit = analysis.stability_limit(method, gamma)
    expected = {"gd": 2.0, "momentum": 2 * (1 + gamma),
                "nesterov": 2 * (1 + gamma) / (1 + 2 * gamma)}[method]
    assert limit == pytest.approx(expected, rel=1e-15)
    # lr * curvature = h: with curvature 1, lr = h
    assert analysis.rate(method, limit * (1 - 1e-6), gamma) < 1
    assert analysis.rate(method, limit * (1 + 1e-6), gamma) >= 1
    assert analysis.rate(method, limit, gamma) == pytest.approx(1.0, abs=1e-9)
    # a scan from 0 up to twice the limit: stable exactly on (0, limit)
    h = np.linspace(1e-3, 2 * limit, 4001)
    stable = analysis.rate(method, h, gamma) < 1
    assert stable[h < limit * (1 - 1e-9)].all() and not stable[h > limit * (1 + 1e-9)].any()


@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_stability_limit_separates_converging_from_diverging_runs(method, gamma):
    curvature = 4.0
    lr_edge = analysis.stability_limit(method, gamma) / curvature
    factory = getattr(optlib, method)
    ends = [abs(optlib.run(factory(lr=lr_edge * k, gamma=gamma), lambda x: curvature * x,
                           np.ones(1), 3000)[-1, 0]) for k in (0.99, 1.01)]
    assert ends[0] < 1e-3 and not ends[1] < 1e3


def test_stability_limit_broadcasts_and_checks_gamma():
    np.testing.assert_allclose(analysis.stability_limit("momentum", [0.0, 0.5]), [2.0, 3.0])
    assert analysis.stability_limit("gd", [0.2, 0.4]).tolist() == [2.0, 2.0]
    assert isinstance(analysis.stability_limit("gd"), float)
    for bad in (1.0, -0.1, [0.5, 1.2]):
        with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\)"):
            analysis.stability_limit("momentum", bad)
    with pytest.raises(ValueError, match="method must be one of"):
        analysis.stability_limit("adam")
