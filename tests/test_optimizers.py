"""Tests of optlib.optimizers, against references that do not come from optlib itself.

1. torch.optim: trajectories recorded by scripts/make_torch_fixtures.py in
   float64 (tests/fixtures/torch_trajectories.npz), reproduced to 1e-10
   relative error (the observed errors are about 1e-12 and below).
2. Hand-worked first and second steps of every rule and variant, the numbers
   worked out in the comments.
3. Relations between the rules (momentum with gamma = 0 is gradient descent,
   RMSProp is Adam with beta1 = 0 up to the bias correction of v, ...).
4. Properties over random inputs (hypothesis): purity, any shape, (N, 2) = N runs.
5. Bad input: clear ValueErrors; divergence neither raises nor warns.

Print the largest error against torch per optimizer with
``python tests/test_optimizers.py``.
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import optlib
from optlib.optimizers import (AdadeltaState, AdagradState, AdamaxState, AdamState,
                               AmsgradState, MomentumState, NadamState, RmspropState,
                               SgdState)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _load_problems():
    spec = importlib.util.spec_from_file_location("fixture_problems", FIXTURES / "problems.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


problems = _load_problems()

#: Every optimizer, with each of its variants; used by the property tests.
CONFIGS = [
    ("sgd", {"lr": 0.01}),
    ("momentum", {"lr": 0.01, "gamma": 0.9}),
    ("nesterov", {"lr": 0.01, "gamma": 0.9}),
    ("nesterov", {"lr": 0.01, "gamma": 0.9, "lookahead_points": 3}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "root": False}),
    ("adagrad", {"lr": 0.1, "eps_inside_root": True}),
    ("adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "lr_decay": 0.01}),
    ("adagrad", {"lr": 0.1, "accumulate": "abs", "root": False}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "eps_inside_root": True}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("adadelta", {}),
    ("adadelta", {"initial_delta_sq": 0.5}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.01, "eps_inside_root": True}),
    ("adam", {"lr": 0.01, "eps_hat": True}),
    ("adam_lp", {"lr": 0.01, "p": 3.0}),
    ("adam_lp", {"lr": 0.01, "p": math.inf}),
    ("adamax", {"lr": 0.01}),
    ("nadam", {"lr": 0.01}),
    ("amsgrad", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "lr0": 0.05}),
]
CONFIG_IDS = [name + "".join(f"-{k}={v}" for k, v in hp.items() if k != "lr")
              for name, hp in CONFIGS]

HYPOTHESIS = settings(max_examples=40, deadline=None)

# an overflow or 0/0 that nobody expected fails the test
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def build(name, hp):
    return getattr(optlib, name)(**hp)     # the eleven of OPTIMIZERS, and variants like adam_lp


def scripted(*gradients):
    """A gradient that ignores x and returns the given values in turn, shaped like x."""
    values = iter(gradients)

    def grad(x):
        return np.broadcast_to(np.asarray(next(values), dtype=float), np.shape(x)).copy()
    return grad


def steps(opt, x0, grad, n):
    """The iterates x_1..x_n and states s_1..s_n of n steps (written without optlib.run)."""
    x, state = np.asarray(x0, dtype=float), opt.init(x0)
    xs, states = [], []
    for _ in range(n):
        x, state = opt.step(x, state, grad)
        xs.append(x)
        states.append(state)
    return xs, states


# ==========================================================================
# 1. Against torch.optim
# ==========================================================================

def _load_torch_fixture():
    with np.load(FIXTURES / "torch_trajectories.npz") as data:
        return {key: data[key] for key in data.files}


TORCH = _load_torch_fixture()
TORCH_RUNS = range(len(TORCH["problem"]))
TORCH_IDS = [f"{i:02d}-{TORCH['problem'][i]}-{TORCH['optimizer'][i]}" for i in TORCH_RUNS]
RTOL = 1e-10      # relative error allowed against torch ...
FLOOR = 1e-3      # ... relative to max(|x|, FLOOR), i.e. an absolute floor of 1e-13


def optlib_trajectory_like_torch(i):
    """optlib's run of fixture run i, as torch records it, at the recorded steps."""
    name, hp = str(TORCH["optimizer"][i]), json.loads(str(TORCH["hyperparams"][i]))
    opt = build(name, hp)
    x0 = TORCH[f"x0_{i}"]
    grad = problems.numpy_grad(str(TORCH["problem"][i]))
    xs, states = steps(opt, x0, grad, int(TORCH["steps"][-1]))
    if name == "nesterov":
        # torch's SGD(nesterov=True) iterates the look-ahead points y_t = x_t - gamma v_t
        xs = [x - opt.gamma * s.v for x, s in zip(xs, states)]
    return np.array([x0] + xs)[TORCH["steps"]]


def torch_error(i):
    """Largest error of optlib against torch on run i, relative to max(|x_torch|, FLOOR)."""
    ours, theirs = optlib_trajectory_like_torch(i), TORCH[f"trajectory_{i}"]
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), FLOOR)))


def test_fixture_covers_every_optimizer_on_three_problems_for_250_steps():
    assert str(TORCH["torch_version"])                  # recorded, e.g. "2.13.0+cpu"
    assert TORCH["steps"][0] == 0 and TORCH["steps"][-1] >= 200
    for problem in problems.PROBLEMS:
        names = {str(n) for n, p in zip(TORCH["optimizer"], TORCH["problem"]) if p == problem}
        assert names == set(optlib.OPTIMIZERS), problem
    for i in TORCH_RUNS:
        assert np.array_equal(TORCH[f"trajectory_{i}"][0], TORCH[f"x0_{i}"])
    shapes = {TORCH[f"x0_{i}"].shape for i in TORCH_RUNS}
    assert {(3,), (4, 2), (5,)} <= shapes


@pytest.mark.parametrize("i", TORCH_RUNS, ids=TORCH_IDS)
def test_reproduces_torch_trajectory(i):
    error = torch_error(i)
    assert error <= RTOL, (f"{TORCH['optimizer'][i]}({TORCH['hyperparams'][i]}) on "
                           f"{TORCH['problem'][i]}: max relative error {error:.2e} against torch "
                           f"{TORCH['torch_version']}")


@pytest.mark.parametrize("name", sorted(optlib.OPTIMIZERS))
def test_defaults_are_torchs(name):
    torch_defaults = json.loads(str(TORCH["torch_defaults"]))[name]
    signature = inspect.signature(optlib.OPTIMIZERS[name]).parameters
    for param, value in torch_defaults.items():
        assert signature[param].default == value, f"{name}: {param}"


def test_fixture_problems_gradients_match_finite_differences():
    # the torch fixture script checks them against autograd; this is a numpy-only check
    h = 1e-6
    for name, (f, grad, x0) in problems.PROBLEMS.items():
        x = x0 + 0.1
        numeric = np.zeros_like(x)
        for k in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[k] = h
            numeric[k] = (f(x + e, np) - f(x - e, np)) / (2 * h)
        np.testing.assert_allclose(grad(x, np), numeric, rtol=1e-6, atol=1e-5, err_msg=name)


# ==========================================================================
# 2. Hand-worked steps
# ==========================================================================

def test_sgd_by_hand():
    opt = optlib.sgd(lr=0.1)
    (x1, x2), (s1, s2) = steps(opt, [1.0, -2.0], lambda x: 2 * x, 2)
    # g = 2x = (2, -4): x1 = (1 - 0.2, -2 + 0.4);  g = (1.6, -3.2): x2 = (0.8 - 0.16, -1.6 + 0.32)
    np.testing.assert_allclose(x1, [0.8, -1.6], rtol=1e-15)
    np.testing.assert_allclose(x2, [0.64, -1.28], rtol=1e-15)
    assert s1 == SgdState(1) and s2 == SgdState(2)


def test_momentum_by_hand():
    opt = optlib.momentum(lr=0.1, gamma=0.5)
    (x1, x2), (s1, s2) = steps(opt, [1.0], lambda x: 2 * x, 2)
    # g1 = 2, v1 = 0.1 * 2 = 0.2, x1 = 0.8
    # g2 = 1.6, v2 = 0.5 * 0.2 + 0.1 * 1.6 = 0.26, x2 = 0.8 - 0.26 = 0.54
    np.testing.assert_allclose([x1[0], s1.v[0], x2[0], s2.v[0]], [0.8, 0.2, 0.54, 0.26],
                               rtol=1e-15)
    assert (s1.t, s2.t) == (1, 2)


def test_nesterov_by_hand():
    opt = optlib.nesterov(lr=0.25, gamma=0.5)
    seen = []

    def grad(x):
        seen.append(float(x[0]))
        return 2 * x

    (x1, x2), (s1, s2) = steps(opt, [2.0], grad, 2)
    # step 1: look-ahead 2 - 0.5 * 0 = 2, g = 4, v1 = 0.25 * 4 = 1, x1 = 1
    # step 2: look-ahead 1 - 0.5 * 1 = 0.5, g = 1, v2 = 0.5 * 1 + 0.25 * 1 = 0.75, x2 = 0.25
    assert seen == [2.0, 0.5]
    assert [x1[0], s1.v[0], x2[0], s2.v[0]] == [1.0, 1.0, 0.25, 0.75]


def test_nesterov_lookahead_points_by_hand():
    opt = optlib.nesterov(lr=0.25, gamma=0.5, lookahead_points=2)
    seen = []

    def grad(x):
        seen.append(float(x[0]))
        return x ** 2            # nonlinear: the mean of gradients is not the gradient at the mean

    (x1, x2), (s1, s2) = steps(opt, [2.0], grad, 2)
    # step 1: v0 = 0, both points are x0 = 2, g = 4, v1 = 1, x1 = 1
    # step 2: points 1 - (1/2)(0.5 * 1) = 0.75 and 1 - 0.5 = 0.5, gradients 0.5625 and 0.25,
    #         mean 0.40625, v2 = 0.5 + 0.25 * 0.40625 = 0.6015625, x2 = 0.3984375
    assert seen == [2.0, 2.0, 0.75, 0.5]
    assert [x1[0], s1.v[0], x2[0], s2.v[0]] == [1.0, 1.0, 0.3984375, 0.6015625]


def test_adagrad_by_hand():
    opt = optlib.adagrad(lr=0.5, eps=1.0)
    (x1, x2), (s1, s2) = steps(opt, [1.0], lambda x: 2 * x, 2)
    # g1 = 2, G1 = 4, x1 = 1 - 0.5 * 2 / (2 + 1) = 2/3
    # g2 = 4/3, G2 = 4 + 16/9 = 52/9, x2 = 2/3 - 0.5 * (4/3) / (sqrt(52)/3 + 1)
    np.testing.assert_allclose([x1[0], s1.G[0]], [2 / 3, 4.0], rtol=1e-15)
    np.testing.assert_allclose([x2[0], s2.G[0]],
                               [2 / 3 - (2 / 3) / (math.sqrt(52) / 3 + 1), 52 / 9], rtol=1e-15)


def test_adagrad_without_root_by_hand():
    opt = optlib.adagrad(lr=0.5, eps=1.0, root=False)
    (x1, x2), _ = steps(opt, [1.0], lambda x: 2 * x, 2)
    # g1 = 2, G1 = 4, x1 = 1 - 0.5 * 2 / (4 + 1) = 0.8
    # g2 = 1.6, G2 = 4 + 2.56 = 6.56, x2 = 0.8 - 0.5 * 1.6 / (6.56 + 1)
    np.testing.assert_allclose([x1[0], x2[0]], [0.8, 0.8 - 0.8 / 7.56], rtol=1e-15)


def test_adagrad_eps_inside_root_by_hand():
    opt = optlib.adagrad(lr=0.5, eps=5.0, eps_inside_root=True)
    (x1, x2), _ = steps(opt, [1.0], lambda x: 2 * x, 2)
    # g1 = 2, G1 = 4, x1 = 1 - 0.5 * 2 / sqrt(4 + 5) = 2/3
    # g2 = 4/3, G2 = 52/9, x2 = 2/3 - 0.5 * (4/3) / sqrt(52/9 + 45/9) = 2/3 - 2 / sqrt(97)
    np.testing.assert_allclose([x1[0], x2[0]], [2 / 3, 2 / 3 - 2 / math.sqrt(97)], rtol=1e-15)


def test_adagrad_initial_accumulator_and_lr_decay_by_hand():
    opt = optlib.adagrad(lr=0.5, eps=0.0, initial_accumulator_value=12.0, lr_decay=0.5)
    assert opt.init(np.zeros(2)).G.tolist() == [12.0, 12.0]
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(2.0, 3.0), 2)
    # G1 = 12 + 4 = 16, x1 = -0.5 * 2 / 4 = -0.25
    # G2 = 16 + 9 = 25, lr_2 = 0.5 / (1 + 1 * 0.5) = 1/3, x2 = -0.25 - (1/3) * 3 / 5 = -0.45
    assert [x1[0], s1.G[0], s2.G[0]] == [-0.25, 16.0, 25.0]
    np.testing.assert_allclose(x2[0], -0.45, rtol=1e-15)


def test_adagrad_accumulating_absolute_values_by_hand():
    opt = optlib.adagrad(lr=0.5, eps=1.0, accumulate="abs", root=False)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(-3.0, 1.0), 2)
    # G1 = 3, x1 = 0.5 * 3 / (3 + 1) = 0.375;  G2 = 4, x2 = 0.375 - 0.5 * 1 / 5 = 0.275
    assert [s1.G[0], s2.G[0]] == [3.0, 4.0]
    np.testing.assert_allclose([x1[0], x2[0]], [0.375, 0.275], rtol=1e-15)
    with_root = optlib.adagrad(lr=0.5, eps=0.0, accumulate="abs")
    x, _ = with_root.step(np.array([0.0]), with_root.init(np.zeros(1)), lambda x: np.array([4.0]))
    assert x[0] == -1.0                         # 0.5 * 4 / sqrt(4)


def test_rmsprop_centered_by_hand():
    opt = optlib.rmsprop(lr=0.1, gamma=0.75, eps=1.0, centered=True)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # g1 = 2: E1 = 1, m1 = 0.5, E1 - m1^2 = 0.75, x1 = -0.2 / (sqrt(0.75) + 1)
    # g2 = -4: E2 = 4.75, m2 = 0.375 - 1 = -0.625, E2 - m2^2 = 4.359375
    assert (type(s1).__name__, s1.m[0], s2.m[0], s2.E[0]) == ("RmspropMomentumState", 0.5, -0.625, 4.75)
    np.testing.assert_allclose(x1[0], -0.2 / (math.sqrt(0.75) + 1), rtol=1e-15)
    np.testing.assert_allclose(x2[0], x1[0] + 0.4 / (math.sqrt(4.359375) + 1), rtol=1e-15)


def test_rmsprop_momentum_by_hand():
    opt = optlib.rmsprop(lr=0.1, gamma=0.75, eps=1.0, momentum=0.5)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # b1 = 2 / (1 + 1) = 1, x1 = -0.1;  b2 = 0.5 - 4 / (sqrt(4.75) + 1), x2 = x1 - 0.1 b2
    b2 = 0.5 - 4 / (math.sqrt(4.75) + 1)
    assert (s1.b[0], s1.m[0]) == (1.0, 0.0)              # m is unused when not centered
    np.testing.assert_allclose([x1[0], s2.b[0]], [-0.1, b2], rtol=1e-15)
    np.testing.assert_allclose(x2[0], -0.1 - 0.1 * b2, rtol=1e-15)


def test_rmsprop_with_momentum_zero_and_not_centered_keeps_the_small_state():
    assert type(optlib.rmsprop().init(np.zeros(2))).__name__ == "RmspropState"
    assert repr(optlib.rmsprop(momentum=0.9, centered=True)) == \
        "rmsprop(lr=0.01, gamma=0.99, eps=1e-08, momentum=0.9, centered=True)"


def test_rmsprop_by_hand():
    opt = optlib.rmsprop(lr=0.1, gamma=0.75, eps=1.0)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # g1 = 2: E1 = 0.25 * 4 = 1, x1 = 0 - 0.1 * 2 / (1 + 1) = -0.1
    # g2 = -4: E2 = 0.75 + 0.25 * 16 = 4.75, x2 = -0.1 + 0.4 / (sqrt(4.75) + 1)
    np.testing.assert_allclose([x1[0], s1.E[0], s2.E[0]], [-0.1, 1.0, 4.75], rtol=1e-15)
    np.testing.assert_allclose(x2[0], -0.1 + 0.4 / (math.sqrt(4.75) + 1), rtol=1e-15)


def test_rmsprop_eps_inside_root_by_hand():
    opt = optlib.rmsprop(lr=0.1, gamma=0.75, eps=3.0, eps_inside_root=True)
    (x1, x2), _ = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # E1 = 1, x1 = -0.1 * 2 / sqrt(1 + 3) = -0.1;  E2 = 4.75, x2 = -0.1 + 0.4 / sqrt(7.75)
    np.testing.assert_allclose([x1[0], x2[0]], [-0.1, -0.1 + 0.4 / math.sqrt(7.75)], rtol=1e-15)


def test_adadelta_by_hand():
    opt = optlib.adadelta(lr=0.5, gamma=0.5, eps=1.0)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(4.0, 2.0), 2)
    # g1 = 4: E1 = 0.5 * 16 = 8, delta1 = sqrt(0 + 1) / sqrt(8 + 1) * 4 = 4/3,
    #         D1 = 0.5 * 16/9 = 8/9, x1 = -0.5 * 4/3 = -2/3
    # g2 = 2: E2 = 4 + 2 = 6, delta2 = sqrt(8/9 + 1) / sqrt(6 + 1) * 2 = 2 sqrt(17) / (3 sqrt(7)),
    #         D2 = 4/9 + 0.5 delta2^2 = 4/9 + 34/63, x2 = -2/3 - 0.5 delta2
    delta2 = 2 * math.sqrt(17) / (3 * math.sqrt(7))
    np.testing.assert_allclose([x1[0], s1.E[0], s1.D[0]], [-2 / 3, 8.0, 8 / 9], rtol=1e-15)
    np.testing.assert_allclose([x2[0], s2.E[0], s2.D[0]],
                               [-2 / 3 - delta2 / 2, 6.0, 4 / 9 + 34 / 63], rtol=1e-15)


def test_adadelta_initial_delta_sq_by_hand():
    opt = optlib.adadelta(lr=0.5, gamma=0.5, eps=1.0, initial_delta_sq=8.0)
    assert opt.init(np.zeros(2)).D.tolist() == [8.0, 8.0]
    (x1, x2), (s1, _) = steps(opt, [0.0], scripted(4.0, 2.0), 2)
    # g1 = 4: E1 = 8, delta1 = sqrt(8 + 1) / sqrt(8 + 1) * 4 = 4, D1 = 4 + 8 = 12, x1 = -2
    # g2 = 2: E2 = 6, delta2 = sqrt(13) / sqrt(7) * 2, x2 = -2 - 0.5 delta2
    assert [x1[0], s1.D[0]] == [-2.0, 12.0]
    np.testing.assert_allclose(x2[0], -2 - math.sqrt(13) / math.sqrt(7), rtol=1e-15)


def test_adam_by_hand():
    opt = optlib.adam(lr=0.1, beta1=0.5, beta2=0.75, eps=1.0)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # g1 = 2: m1 = 1, v1 = 1, m_hat = 1/0.5 = 2, v_hat = 1/0.25 = 4, x1 = -0.1 * 2 / (2 + 1)
    # g2 = -4: m2 = 0.5 - 2 = -1.5, v2 = 0.75 + 4 = 4.75,
    #          m_hat = -1.5/0.75 = -2, v_hat = 4.75/0.4375, x2 = x1 + 0.2 / (sqrt(v_hat) + 1)
    assert (s1.t, s1.m[0], s1.v[0], s2.t, s2.m[0], s2.v[0]) == (1, 1.0, 1.0, 2, -1.5, 4.75)
    np.testing.assert_allclose(x1[0], -0.2 / 3, rtol=1e-15)
    np.testing.assert_allclose(x2[0], -0.2 / 3 + 0.2 / (math.sqrt(4.75 / 0.4375) + 1), rtol=1e-15)


def test_adam_eps_inside_root_by_hand():
    opt = optlib.adam(lr=0.1, beta1=0.5, beta2=0.75, eps=5.0, eps_inside_root=True)
    (x1, x2), _ = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # x1 = -0.1 * 2 / sqrt(4 + 5) = -0.2/3;  x2 = x1 + 0.2 / sqrt(4.75/0.4375 + 5)
    np.testing.assert_allclose([x1[0], x2[0]],
                               [-0.2 / 3, -0.2 / 3 + 0.2 / math.sqrt(4.75 / 0.4375 + 5)],
                               rtol=1e-15)


def test_adam_eps_hat_by_hand():
    opt = optlib.adam(lr=0.1, beta1=0.5, beta2=0.75, eps=1.0, eps_hat=True)
    (x1, x2), _ = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # t = 1: lr_1 = 0.1 sqrt(0.25) / 0.5 = 0.1, m1 = 1, v1 = 1, x1 = -0.1 * 1 / (1 + 1)
    # t = 2: lr_2 = 0.1 sqrt(0.4375) / 0.75, m2 = -1.5, v2 = 4.75
    np.testing.assert_allclose(x1[0], -0.05, rtol=1e-15)
    lr2 = 0.1 * math.sqrt(0.4375) / 0.75
    np.testing.assert_allclose(x2[0], -0.05 + lr2 * 1.5 / (math.sqrt(4.75) + 1), rtol=1e-15)


def test_adam_eps_hat_is_adam_with_a_time_varying_eps():
    # eps_hat = e is Adam with eps_t = e / sqrt(1 - beta2^t): compare step by step
    beta2, e = 0.99, 0.3
    grad = problems.numpy_grad("sines")
    x0 = problems.PROBLEMS["sines"][2]
    hat = optlib.adam(lr=0.01, beta2=beta2, eps=e, eps_hat=True)
    x, state = x0, hat.init(x0)
    for t in range(1, 60):
        plain = optlib.adam(lr=0.01, beta2=beta2, eps=e / math.sqrt(1 - beta2 ** t))
        expected, _ = plain.step(x, state, grad)
        x, state = hat.step(x, state, grad)
        np.testing.assert_allclose(x, expected, rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="eps_inside_root and eps_hat must not both be True"):
        optlib.adam(eps_inside_root=True, eps_hat=True)


def test_adam_lp_with_p_2_is_adam_with_beta2_squared():
    grad = problems.numpy_grad("quadratic")
    x0 = problems.PROBLEMS["quadratic"][2]
    lp = optlib.run(optlib.adam_lp(lr=0.05, beta2=0.95, p=2.0), grad, x0, 200)
    ad = optlib.run(optlib.adam(lr=0.05, beta2=0.95 ** 2), grad, x0, 200)
    np.testing.assert_allclose(lp, ad, rtol=1e-12, atol=1e-14)


def test_adam_lp_tends_to_adamax_as_p_grows():
    grad = problems.numpy_grad("sines")
    x0 = problems.PROBLEMS["sines"][2]
    limit = optlib.run(optlib.adam_lp(lr=0.01, eps=0.0, p=math.inf), grad, x0, 200)
    torch_like = optlib.run(optlib.adamax(lr=0.01, eps=0.0), grad, x0, 200)
    np.testing.assert_array_equal(limit, torch_like)     # eps = 0: the same rule
    gaps = [np.abs(optlib.run(optlib.adam_lp(lr=0.01, eps=0.0, p=p), grad, x0, 200)
                   - limit).max() for p in (4.0, 32.0, 256.0, 2048.0)]
    assert all(a > b for a, b in zip(gaps, gaps[1:])) and gaps[-1] < 1e-3


def test_adam_lp_does_not_overflow_for_large_p_and_large_gradients():
    opt = optlib.adam_lp(lr=0.1, p=500.0)
    path = optlib.run(opt, lambda x: 1e30 * np.sign(x - 1), np.array([0.0, 3.0]), 20)
    assert np.isfinite(path).all()
    np.testing.assert_allclose(path[1], [0.1, 2.9], rtol=1e-12)   # the first step has length lr


def test_adam_lp_validation_and_repr():
    for bad in (0.5, 0, -2, math.nan, "2", None, True):
        with pytest.raises(ValueError, match=r"^p must be a number >= 1"):
            optlib.adam_lp(p=bad)
    assert repr(optlib.adam_lp(p=4)) == "adam_lp(lr=0.002, beta1=0.9, beta2=0.999, eps=1e-08, p=4.0)"
    assert "adam_lp" not in optlib.OPTIMIZERS          # a variant, not one of the eleven


def test_adamax_by_hand():
    opt = optlib.adamax(lr=0.1, beta1=0.5, beta2=0.75, eps=0.5)
    (x1, x2), (s1, s2) = steps(opt, [0.0, 0.0], scripted([2.0, 2.0], [-4.0, 1.0]), 2)
    # g1 = (2, 2): m1 = (1, 1), u1 = max(0, 2 + 0.5) = 2.5, x1 = -(0.1/0.5) * 1/2.5 = -0.08
    # g2 = (-4, 1): m2 = (0.5 - 2, 0.5 + 0.5) = (-1.5, 1),
    #   u2 = (max(1.875, 4.5), max(1.875, 1.5)) = (4.5, 1.875)     [first |g|, then beta2 u wins]
    #   x2 = x1 - (0.1/0.75) * (-1.5/4.5, 1/1.875) = (-0.08 + 2/45, -0.08 - 0.32/4.5)
    assert s1.u.tolist() == [2.5, 2.5] and s2.u.tolist() == [4.5, 1.875]
    assert s2.m.tolist() == [-1.5, 1.0]
    np.testing.assert_allclose(x1, [-0.08, -0.08], rtol=1e-15)
    np.testing.assert_allclose(x2, [-0.08 + 2 / 45, -0.08 - 0.32 / 4.5], rtol=1e-14)


def test_nadam_by_hand():
    # momentum_decay = 0 makes the schedule constant: mu_t = 0.5 * (1 - 0.5 * 0.96^0) = 0.25
    opt = optlib.nadam(lr=0.1, beta1=0.5, beta2=0.75, eps=1.0, momentum_decay=0.0)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(2.0, -4.0), 2)
    # g1 = 2: m1 = 1, v1 = 1, denom = sqrt(1/0.25) + 1 = 3, products mu1 = 0.25, mu1 mu2 = 0.0625
    #   x1 = -(0.1 * 0.75/0.75 * 2 + 0.1 * 0.25/0.9375 * 1) / 3 = -(0.2 + 0.025/0.9375) / 3
    # g2 = -4: m2 = -1.5, v2 = 4.75, denom = sqrt(4.75/0.4375) + 1, products 0.0625, 0.015625
    #   x1 - x2 = (0.1 * 0.75/0.9375 * (-4) + 0.1 * 0.25/0.984375 * (-1.5)) / denom
    #           = -(0.32 + 0.0375/0.984375) / denom
    assert (s1.mu_product, s2.mu_product) == (0.25, 0.0625)
    np.testing.assert_allclose(x1[0], -(0.2 + 0.025 / 0.9375) / 3, rtol=1e-15)
    expected_update = -(0.32 + 0.0375 / 0.984375) / (math.sqrt(4.75 / 0.4375) + 1)
    np.testing.assert_allclose(x1[0] - x2[0], expected_update, rtol=1e-14)


def test_nadam_momentum_schedule_by_hand():
    opt = optlib.nadam(lr=0.1, beta1=0.9, beta2=0.999, eps=0.0, momentum_decay=0.004)
    (x1,), (s1,) = steps(opt, [0.0], scripted(2.0), 1)
    # mu_t = 0.9 (1 - 0.5 * 0.96^(0.004 t)); m1 = 0.2, v_hat = 4, denom = 2
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008)
    expected = -(0.1 * (1 - mu1) / (1 - mu1) * 1 + 0.1 * mu2 / (1 - mu1 * mu2) * 0.1)
    np.testing.assert_allclose([x1[0], s1.mu_product], [expected, mu1], rtol=1e-14)


def test_amsgrad_by_hand():
    opt = optlib.amsgrad(lr=0.1, beta1=0.5, beta2=0.75, eps=0.0)
    (x1, x2), (s1, s2) = steps(opt, [0.0], scripted(4.0, 0.0), 2)
    # g1 = 4: m1 = 2, v1 = 4, v_max = 4, x1 = -0.1 * (2/0.5) / sqrt(4/0.25) = -0.1
    # g2 = 0: m2 = 1, v2 = 3 < v_max = 4, x2 = -0.1 - 0.1 * (1/0.75) / sqrt(4/0.4375)
    #   (Adam would divide by sqrt(3/0.4375))
    assert (s2.v[0], s2.v_max[0]) == (3.0, 4.0)
    np.testing.assert_allclose(x1[0], -0.1, rtol=1e-15)
    np.testing.assert_allclose(x2[0], -0.1 - (0.1 / 0.75) / math.sqrt(4 / 0.4375), rtol=1e-15)


def test_adamw_by_hand():
    opt = optlib.adamw(lr=0.1, beta1=0.5, beta2=0.75, eps=0.0, weight_decay=0.5)
    (x1, x2), _ = steps(opt, [2.0], lambda x: x - 1, 2)
    # step 1: g = 1 (at x0), decay 2 * (1 - 0.05) = 1.9, Adam's first step is lr: x1 = 1.8
    # step 2: g = 0.8 (at x1, before the decay): m2 = 0.25 + 0.4 = 0.65,
    #   v2 = 0.1875 + 0.16 = 0.3475,
    #   x2 = 1.8 * 0.95 - 0.1 * (0.65/0.75) / sqrt(0.3475/0.4375)
    #   (a gradient taken after the decay, at 1.71, would give 0.71 and another x2)
    np.testing.assert_allclose(x1[0], 1.8, rtol=1e-15)
    np.testing.assert_allclose(x2[0], 1.71 - 0.1 * (0.65 / 0.75) / math.sqrt(0.3475 / 0.4375),
                               rtol=1e-15)


# ==========================================================================
# 3. Relations between the rules
# ==========================================================================

def rosenbrock_run(opt, n=60):
    x0 = problems.PROBLEMS["rosenbrock"][2]
    return np.array(steps(opt, x0, problems.numpy_grad("rosenbrock"), n)[0])


def test_momentum_with_gamma_zero_is_sgd():
    np.testing.assert_array_equal(rosenbrock_run(optlib.momentum(lr=3e-4, gamma=0.0)),
                                  rosenbrock_run(optlib.sgd(lr=3e-4)))


@pytest.mark.parametrize("K", [1, 4])
def test_nesterov_with_gamma_zero_is_sgd(K):
    np.testing.assert_array_equal(
        rosenbrock_run(optlib.nesterov(lr=3e-4, gamma=0.0, lookahead_points=K)),
        rosenbrock_run(optlib.sgd(lr=3e-4)))


@pytest.mark.parametrize("K", [1, 3])
def test_nesterov_on_a_linear_function_is_momentum(K):
    # a linear loss c . x has the same gradient c everywhere, so looking ahead changes nothing
    c = np.array([[1.0, -2.0], [0.5, 3.0]])
    x0 = np.zeros((2, 2))
    nes, _ = steps(optlib.nesterov(lr=0.1, gamma=0.9, lookahead_points=K), x0, lambda x: c, 30)
    mom, _ = steps(optlib.momentum(lr=0.1, gamma=0.9), x0, lambda x: c, 30)
    np.testing.assert_array_equal(nes, mom)


def test_nesterov_differs_from_momentum_on_a_curved_function():
    nes = rosenbrock_run(optlib.nesterov(lr=1e-4, gamma=0.9), 5)
    mom = rosenbrock_run(optlib.momentum(lr=1e-4, gamma=0.9), 5)
    assert np.array_equal(nes[0], mom[0]) and not np.array_equal(nes[1], mom[1])


@pytest.mark.parametrize("eps", [0.0, 1e-3])
def test_rmsprop_is_adam_with_beta1_zero_up_to_the_bias_correction_of_v(eps):
    # With beta1 = 0, Adam's m_t = g_t and m_hat = g_t, and v_t is RMSProp's E_t (same EMA), so
    #   Adam's update  = lr g_t / (sqrt(E_t / (1 - gamma^t)) + eps)
    #   RMSProp's      = lr g_t / (sqrt(E_t) + eps)
    # i.e. Adam is RMSProp with lr and eps both scaled by sqrt(1 - gamma^t) at step t.
    gamma, lr = 0.9, 0.01
    gs = np.random.default_rng(1).normal(size=(400, 3))
    adam_x, adam_s = steps(optlib.adam(lr=lr, beta1=0.0, beta2=gamma, eps=eps), np.zeros(3),
                           scripted(*gs), len(gs))
    rms_x, rms_s = steps(optlib.rmsprop(lr=lr, gamma=gamma, eps=eps), np.zeros(3),
                         scripted(*gs), len(gs))
    adam_upd = -np.diff(np.vstack([np.zeros(3), adam_x]), axis=0)
    rms_upd = -np.diff(np.vstack([np.zeros(3), rms_x]), axis=0)
    for t, (a, r, g) in enumerate(zip(adam_s, rms_s, gs), start=1):
        np.testing.assert_array_equal(a.v, r.E)
        np.testing.assert_array_equal(a.m, g)
        bc = 1 - gamma ** t
        np.testing.assert_allclose(rms_upd[t - 1], lr * g / (np.sqrt(r.E) + eps), rtol=1e-9)
        np.testing.assert_allclose(adam_upd[t - 1], lr * g / (np.sqrt(r.E / bc) + eps), rtol=1e-9)
    # the first step differs by the factor sqrt(1 - gamma) when eps = 0 ...
    if eps == 0:
        np.testing.assert_allclose(adam_upd[0], math.sqrt(1 - gamma) * rms_upd[0], rtol=1e-14)
    # ... and once gamma^t is below half an ulp of 1, the correction is exactly 1: the same update
    late = next(t for t in range(1, len(gs)) if 1 - gamma ** t == 1.0)
    np.testing.assert_allclose(adam_upd[late:], rms_upd[late:], rtol=1e-9)
    a, r = adam_s[late - 1], rms_s[late - 1]
    one_step_adam = optlib.adam(lr=lr, beta1=0.0, beta2=gamma, eps=eps).step(
        np.zeros(3), a, scripted(gs[late]))[0]
    one_step_rms = optlib.rmsprop(lr=lr, gamma=gamma, eps=eps).step(
        np.zeros(3), r, scripted(gs[late]))[0]
    np.testing.assert_array_equal(one_step_adam, one_step_rms)


def test_amsgrad_is_adam_until_v_first_decreases():
    opt_kw = dict(lr=0.05, beta1=0.9, beta2=0.99)
    x0 = problems.PROBLEMS["quadratic"][2]
    grad = problems.numpy_grad("quadratic")
    adam_x, adam_s = steps(optlib.adam(**opt_kw), x0, grad, 200)
    ams_x, ams_s = steps(optlib.amsgrad(**opt_kw), x0, grad, 200)
    v = np.array([np.zeros(3)] + [s.v for s in adam_s])
    first = int(np.argmax((np.diff(v, axis=0) < 0).any(axis=1))) + 1    # the step where v drops
    assert 1 < first < 200
    np.testing.assert_array_equal(ams_x[:first - 1], adam_x[:first - 1])
    assert not np.array_equal(ams_x[first - 1], adam_x[first - 1])
    for s in ams_s:
        assert (s.v_max >= s.v).all()


def test_adamw_without_weight_decay_is_adam():
    np.testing.assert_array_equal(rosenbrock_run(optlib.adamw(lr=0.01, weight_decay=0.0)),
                                  rosenbrock_run(optlib.adam(lr=0.01)))


def test_adamw_decay_is_decoupled_from_the_gradient():
    # with a zero gradient Adam does not move, AdamW shrinks x by (1 - lr wd) each step
    xs, _ = steps(optlib.adamw(lr=0.1, weight_decay=0.5), [2.0, -4.0], lambda x: 0 * x, 3)
    np.testing.assert_allclose(xs[-1], np.array([2.0, -4.0]) * 0.95 ** 3, rtol=1e-15)


def test_adamw_lr0_by_hand():
    # the paper's form: decay omega * lr / lr0 = 0.5 per step at lr = lr0
    opt = optlib.adamw(lr=0.1, beta1=0.5, beta2=0.75, eps=0.0, weight_decay=0.5, lr0=0.1)
    (x1, x2), _ = steps(opt, [2.0], lambda x: x - 1, 2)
    # step 1: g = 1 at x0 = 2; decay 2 * (1 - 0.5) = 1; Adam's first step is lr: x1 = 0.9
    # step 2: g = -0.1 at x1; m2 = 0.25 - 0.05 = 0.2, v2 = 0.1875 + 0.0025 = 0.19;
    #   x2 = 0.9 * 0.5 - 0.1 * (0.2/0.75) / sqrt(0.19/0.4375)
    #   (torch's form, weight_decay = 0.5, would decay by 0.95 instead)
    np.testing.assert_allclose(x1[0], 0.9, rtol=1e-15)
    np.testing.assert_allclose(x2[0], 0.45 - 0.1 * (0.2 / 0.75) / math.sqrt(0.19 / 0.4375),
                               rtol=1e-14)
    assert repr(opt) == ("adamw(lr=0.1, beta1=0.5, beta2=0.75, eps=0.0, weight_decay=0.5, "
                         "lr0=0.1)")


def test_adamw_lr0_decay_per_step_does_not_depend_on_lr():
    # zero gradient: at lr = lr0 the paper's decay is omega per step for any lr,
    # torch's is lr * omega
    for lr in (0.3, 1e-3):
        paper, _ = steps(optlib.adamw(lr=lr, weight_decay=0.2, lr0=lr), [1.0, -3.0],
                         lambda x: 0 * x, 4)
        np.testing.assert_allclose(paper[-1], np.array([1.0, -3.0]) * 0.8 ** 4, rtol=1e-13)
        torch_form, _ = steps(optlib.adamw(lr=lr, weight_decay=0.2), [1.0, -3.0],
                              lambda x: 0 * x, 4)
        np.testing.assert_allclose(torch_form[-1], np.array([1.0, -3.0]) * (1 - 0.2 * lr) ** 4,
                                   rtol=1e-13)


def test_adamw_lr0_under_a_schedule_is_loshchilov_and_hutters_algorithm():
    # Algorithm 2 of Loshchilov and Hutter (2019), written out: base rate alpha,
    # schedule multiplier eta_t, decay lambda * eta_t (not alpha * lambda * eta_t)
    from optlib.schedules import warmup_cosine
    alpha, lam, b1, b2, eps = 0.05, 0.3, 0.9, 0.999, 1e-8
    schedule = warmup_cosine(lr0=alpha, warmup=5, total=40)
    grad = problems.numpy_grad("rosenbrock")
    theta = np.array(problems.PROBLEMS["rosenbrock"][2], dtype=float)
    m, v, paper = np.zeros_like(theta), np.zeros_like(theta), []
    for t in range(1, 51):
        g = grad(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        multiplier = schedule(t) / alpha
        theta = theta - multiplier * (alpha * m_hat / (np.sqrt(v_hat) + eps) + lam * theta)
        paper.append(theta)
    ours = optlib.scheduled("adamw", schedule, weight_decay=lam, lr0=alpha)
    xs, _ = steps(ours, problems.PROBLEMS["rosenbrock"][2], grad, 50)
    np.testing.assert_allclose(xs, paper, rtol=1e-12, atol=1e-14)
    # the same run is torch's AdamW(lr=alpha, weight_decay=lam/alpha) under
    # LambdaLR(lambda e: schedule(e + 1) / alpha), which optlib writes as
    torch_form, _ = steps(optlib.scheduled("adamw", schedule, weight_decay=lam / alpha),
                          problems.PROBLEMS["rosenbrock"][2], grad, 50)
    np.testing.assert_allclose(torch_form, paper, rtol=1e-12, atol=1e-14)
    # while torch's weight_decay = lam decays alpha times less
    other, _ = steps(optlib.scheduled("adamw", schedule, weight_decay=lam),
                     problems.PROBLEMS["rosenbrock"][2], grad, 50)
    assert np.abs(np.array(other) - np.array(paper)).max() > 1e-2


gradient_sequences = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 30), st.integers(1, 3)),
    elements=st.floats(-1e3, 1e3, allow_subnormal=False))


@HYPOTHESIS
@given(gradient_sequences, st.floats(0.0, 0.999), st.floats(0.0, 1.0))
def test_adamax_u_is_never_below_abs_g(gs, beta2, eps):
    opt = optlib.adamax(lr=0.01, beta2=beta2, eps=eps)
    with np.errstate(all="ignore"):   # x is not the point here: m / u may be 0/0 or overflow
        _, states = steps(opt, np.zeros(gs.shape[1]), scripted(*gs), len(gs))
    for s, g in zip(states, gs):
        assert (s.u >= np.abs(g)).all() and (s.u >= np.abs(g) + eps).all()


@HYPOTHESIS
@given(gradient_sequences)
def test_adagrad_G_is_the_non_decreasing_sum_of_squares(gs):
    _, states = steps(optlib.adagrad(lr=0.1), np.zeros(gs.shape[1]), scripted(*gs), len(gs))
    G = np.array([np.zeros(gs.shape[1])] + [s.G for s in states])
    assert (np.diff(G, axis=0) >= 0).all()
    np.testing.assert_allclose(G[1:], np.cumsum(gs ** 2, axis=0), rtol=1e-12)


# ==========================================================================
# 4. Properties: purity, any shape, (N, 2) is N separate runs
# ==========================================================================

def state_arrays(state):
    return [np.array(f, copy=True) for f in state]


@pytest.mark.parametrize("name, hp", CONFIGS, ids=CONFIG_IDS)
def test_n_by_2_is_n_separate_runs(name, hp):
    if name in ("sgd", "momentum", "nesterov"):
        hp = {**hp, "lr": 1e-4}                          # stable on Rosenbrock's steep walls
    opt = build(name, hp)
    x0 = problems.PROBLEMS["rosenbrock"][2]              # shape (4, 2)
    grad = problems.numpy_grad("rosenbrock")
    together = np.array(steps(opt, x0, grad, 100)[0])
    assert np.isfinite(together).all()
    for k in range(len(x0)):
        alone = np.array(steps(opt, x0[k], grad, 100)[0])
        np.testing.assert_array_equal(together[:, k], alone, err_msg=f"start point {k}")


def smooth_grad(x):
    return np.sin(3 * x) + 0.5 * x


@pytest.mark.parametrize("name, hp", CONFIGS, ids=CONFIG_IDS)
@HYPOTHESIS
@given(data=st.data())
def test_step_is_pure_and_works_for_any_shape(name, hp, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x0 = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-5, 5)))
    lr = data.draw(st.floats(1e-4, 1.0))
    opt = build(name, {**hp, "lr": lr} if name != "adadelta" else hp)
    state = opt.init(x0)
    assert state.t == 0
    x = x0
    for t in range(1, 4):
        x_before, state_before = x.copy(), state_arrays(state)
        new_x, new_state = opt.step(x, state, smooth_grad)
        # inputs untouched, outputs fresh
        np.testing.assert_array_equal(x, x_before)
        for before, after in zip(state_before, state):
            np.testing.assert_array_equal(before, after)
        assert new_x.shape == shape and new_x.dtype == np.float64
        assert not np.shares_memory(new_x, x)
        assert new_state.t == t and type(new_state) is type(state)
        for field in new_state[1:]:
            assert np.shape(field) in (shape, ())
        # the same step again gives the same answer (nothing hidden advanced)
        again_x, again_state = opt.step(x, state, smooth_grad)
        np.testing.assert_array_equal(again_x, new_x)
        for a, b in zip(again_state, new_state):
            np.testing.assert_array_equal(a, b)
        x, state = new_x, new_state


@HYPOTHESIS
@given(gamma=st.floats(0.0, 0.99), beta1=st.floats(0.0, 0.99), beta2=st.floats(0.0, 0.999),
       lr=st.floats(1e-5, 10.0), n=st.integers(1, 6))
def test_n_points_at_once_for_random_hyperparameters(gamma, beta1, beta2, lr, n):
    rng = np.random.default_rng(n)
    x0 = rng.uniform(-2, 2, size=(n, 2))
    grad = problems.numpy_grad("rosenbrock")
    for opt in (optlib.nesterov(lr=lr * 1e-3, gamma=gamma), optlib.rmsprop(lr=lr, gamma=gamma),
                optlib.adam(lr=lr, beta1=beta1, beta2=beta2),
                optlib.nadam(lr=lr, beta1=beta1, beta2=beta2)):
        with np.errstate(all="ignore"):
            together = np.array(steps(opt, x0, grad, 10)[0])
            for k in range(n):
                alone = np.array(steps(opt, x0[k], grad, 10)[0])
                np.testing.assert_array_equal(together[:, k], alone)


def test_init_accepts_lists_and_integers_and_copies():
    opt = optlib.momentum(lr=0.1)
    x0 = np.array([1, 2])
    state = opt.init(x0)
    assert state.v.dtype == np.float64 and state.v.shape == (2,)
    x, _ = opt.step([1, 2], state, lambda x: np.ones_like(x))
    np.testing.assert_array_equal(x, [0.9, 1.9])
    assert x0.tolist() == [1, 2]


# ==========================================================================
# 5. Bad input
# ==========================================================================

#: The allowed range of each hyperparameter, as the error message words it.
KINDS = {
    "lr": "positive", "gamma": "decay", "beta1": "decay", "beta2": "decay", "eps": "nonnegative",
    "momentum_decay": "nonnegative", "weight_decay": "nonnegative",
    "initial_delta_sq": "nonnegative", "lookahead_points": "count", "root": "flag",
    "eps_inside_root": "flag", "eps_hat": "flag", "initial_accumulator_value": "nonnegative",
    "lr_decay": "nonnegative", "momentum": "decay", "centered": "flag",
    "accumulate": "accumulate", "lr0": "optional_positive",
}
MESSAGES = {
    "positive": "must be finite and > 0", "decay": r"must be in \[0, 1\)",
    "nonnegative": "must be finite and >= 0", "count": "must be an integer >= 1",
    "flag": "must be True or False", "accumulate": "must be one of 'square', 'abs'",
    "optional_positive": "must be None or finite and > 0",
}
BAD_VALUES = {
    "positive": [0, 0.0, -0.01, -1, math.nan, math.inf, -math.inf, "0.1", True, False, None, [0.1]],
    "decay": [1.0, 1, -0.1, 1.5, math.nan, math.inf, -math.inf, "0.9", True, False, None],
    "nonnegative": [-1e-8, -1, math.nan, math.inf, -math.inf, "1e-8", True, None, 1j],
    "count": [0, -1, 2.5, 2.0, True, "2", None],
    "flag": [1, 0, 1.0, "yes", "False", None],
    "accumulate": ["squares", "ABS", "", None, 2, True],
    "optional_positive": [0, 0.0, -0.01, math.nan, math.inf, "0.1", True, [0.1]],
}
GOOD_VALUES = {
    "positive": [1e-12, 1, 10.0, np.float32(0.5), np.int64(2)],
    "decay": [0, 0.0, 0.5, 0.999999, np.float64(0.9)],
    "nonnegative": [0, 0.0, 1e-300, 3, np.float32(1e-3)],
    "count": [1, 5, np.int64(2)],
    "flag": [True, False, np.bool_(True)],
    "accumulate": ["square", "abs"],
    "optional_positive": [None, 1e-12, 1, 0.5, np.float32(0.5)],
}
HYPERPARAMETERS = [(name, param) for name, factory in optlib.OPTIMIZERS.items()
                   for param in inspect.signature(factory).parameters]


def test_every_hyperparameter_has_a_kind():
    assert {param for _, param in HYPERPARAMETERS} <= KINDS.keys()


@pytest.mark.parametrize("name, param", HYPERPARAMETERS,
                         ids=[f"{n}-{p}" for n, p in HYPERPARAMETERS])
def test_bad_hyperparameter_raises_naming_it_and_its_range(name, param):
    kind = KINDS[param]
    for bad in BAD_VALUES[kind]:
        pattern = rf"^{param} {MESSAGES[kind]}, got {re.escape(repr(bad))}"
        with pytest.raises(ValueError, match=pattern):
            optlib.OPTIMIZERS[name](**{param: bad})
    for good in GOOD_VALUES[kind]:
        opt = optlib.OPTIMIZERS[name](**{param: good})
        assert getattr(opt, param, good) == good or KINDS[param] == "flag"


def test_bad_hyperparameter_examples():
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\), got 1\.0"):
        optlib.adam(beta2=1.0)
    with pytest.raises(ValueError, match=r"lr must be finite and > 0, got nan"):
        optlib.sgd(lr=float("nan"))
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\), got 'high' of type str"):
        optlib.momentum(gamma="high")
    with pytest.raises(ValueError, match=r"eps must be finite and >= 0, got True of type bool"):
        optlib.rmsprop(eps=True)
    with pytest.raises(TypeError):
        optlib.adam(0.01, beta_1=0.9)        # a misspelt name is not silently ignored


@pytest.mark.parametrize("name, hp", CONFIGS, ids=CONFIG_IDS)
def test_gradient_of_wrong_shape_raises_naming_both_shapes(name, hp):
    opt = build(name, hp)
    cases = [((3,), (2,)), ((3,), ()), ((3,), (1,)), ((4, 2), (2, 4)), ((), (1,)), ((4, 2), (8,))]
    for x_shape, g_shape in cases:
        x = np.ones(x_shape)
        with pytest.raises(ValueError, match=rf"shape {re.escape(str(g_shape))}.*"
                                             rf"shape {re.escape(str(x_shape))}"):
            opt.step(x, opt.init(x), lambda x: np.ones(g_shape))


def test_gradient_must_be_callable_and_x_real():
    opt = optlib.sgd()
    with pytest.raises(ValueError, match="grad must be a callable"):
        opt.step(np.ones(2), opt.init(np.ones(2)), np.ones(2))
    with pytest.raises(ValueError, match="x must be a real float array"):
        opt.init(np.array(["a", "b"]))


@pytest.mark.parametrize("grad, lr", [(lambda x: x, 3.0), (lambda x: 4 * x ** 3, 10.0)],
                         ids=["quadratic-lr3", "quartic-lr10"])
def test_diverging_run_keeps_non_finite_values_silently(grad, lr):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = optlib.run(optlib.sgd(lr=lr), grad, np.array([1.0, -0.5]), 1100)
    assert path.shape == (1101, 2)
    assert np.isfinite(path[:3]).all() and not np.isfinite(path[-1]).any()


@pytest.mark.parametrize("name, hp", CONFIGS, ids=CONFIG_IDS)
def test_overflowing_gradient_neither_raises_nor_warns(name, hp):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = optlib.run(build(name, hp), lambda x: np.exp(1000 * x), np.array([1.0, 0.5]), 20)
    assert path.shape == (21, 2) and (path[0] == [1.0, 0.5]).all()
    assert not np.isfinite(path[-1]).all()


# ==========================================================================
# 6. Printing
# ==========================================================================

def test_repr_of_optimizers_is_the_call_that_rebuilds_them():
    assert repr(optlib.adam(lr=0.01)) == "adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert repr(optlib.sgd()) == "sgd(lr=0.001)"
    assert repr(optlib.momentum(lr=0.1, gamma=0.5)) == "momentum(lr=0.1, gamma=0.5)"
    assert repr(optlib.nesterov(lookahead_points=3)) == \
        "nesterov(lr=0.001, gamma=0.9, lookahead_points=3)"
    assert repr(optlib.adagrad(root=False)) == "adagrad(lr=0.01, eps=1e-10, root=False)"
    assert repr(optlib.adamw()) == \
        "adamw(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.01)"
    for name, hp in CONFIGS:
        opt = build(name, hp)
        rebuilt = eval(repr(opt), {**optlib.FACTORIES, "inf": math.inf})
        assert rebuilt.hyperparams == opt.hyperparams and repr(rebuilt) == repr(opt)


def test_hyperparameters_read_as_attributes():
    opt = optlib.adam(lr=0.01)
    assert (opt.lr, opt.beta1, opt.beta2, opt.eps) == (0.01, 0.9, 0.999, 1e-8)
    assert opt.name == "adam"
    with pytest.raises(AttributeError):
        opt.gamma


def test_repr_of_states_is_readable():
    assert repr(optlib.sgd().init(np.zeros(2))) == "SgdState(t=0)"
    assert repr(optlib.momentum().init(np.zeros(2))) == "MomentumState(t=0, v=array([0., 0.]))"
    s = optlib.adam().init(np.zeros(1))
    assert repr(s) == "AdamState(t=0, m=array([0.]), v=array([0.]))"
    expected_types = {"sgd": SgdState, "momentum": MomentumState, "nesterov": MomentumState,
                      "adagrad": AdagradState, "rmsprop": RmspropState, "adadelta": AdadeltaState,
                      "adam": AdamState, "adamw": AdamState, "amsgrad": AmsgradState,
                      "adamax": AdamaxState, "nadam": NadamState}
    for name, factory in optlib.OPTIMIZERS.items():
        assert type(factory().init(np.zeros(2))) is expected_types[name]


if __name__ == "__main__":
    # python tests/test_optimizers.py: the largest error against torch, per optimizer
    worst = {}
    for i in TORCH_RUNS:
        name = str(TORCH["optimizer"][i])
        worst[name] = max(worst.get(name, 0.0), torch_error(i))
    print(f"max relative error (floor {FLOOR}) against torch {TORCH['torch_version']}, "
          f"{len(TORCH_RUNS)} runs of {TORCH['steps'][-1]} steps:")
    for name in optlib.OPTIMIZERS:
        print(f"  {name:9s} {worst[name]:.1e}")


# ==========================================================================
# 7. Learning-rate schedules: optlib.scheduled
# ==========================================================================

from optlib.schedules import constant, inverse_time, step_decay  # noqa: E402


def default_lr(name):
    return inspect.signature(optlib.FACTORIES[name]).parameters["lr"].default


@pytest.mark.parametrize("name, hp", CONFIGS, ids=CONFIG_IDS)
def test_scheduled_with_a_constant_schedule_is_the_plain_optimizer(name, hp):
    lr = hp.get("lr", default_lr(name))
    others = {k: v for k, v in hp.items() if k != "lr"}
    plain = build(name, hp)
    for schedule in (constant(lr), lambda t: lr):
        opt = optlib.scheduled(optlib.FACTORIES[name], schedule, **others)
        ours = optlib.run(opt, smooth_grad, np.array([[0.3, -0.7], [1.2, 0.4]]), 40)
        theirs = optlib.run(plain, smooth_grad, np.array([[0.3, -0.7], [1.2, 0.4]]), 40)
        assert np.array_equal(ours, theirs)
        x, state = opt.step(np.ones(2), opt.init(np.ones(2)), smooth_grad)
        assert type(state) is type(plain.init(np.ones(2))) and state.t == 1


def test_scheduled_sgd_by_hand():
    # f = x^2, g = 2x; lr_t = 0.5 / (1 + t) = 1/4, 1/6, 1/8
    # x1 = 1 - 1/4 * 2 = 1/2; x2 = 1/2 - 1/6 * 1 = 1/3; x3 = 1/3 - 1/8 * 2/3 = 1/4
    # torch: SGD(lr=0.5) with LambdaLR(lambda e: 1 / (2 + e)) takes the same steps
    opt = optlib.scheduled(optlib.sgd, inverse_time(lr0=0.5, decay=1.0))
    xs, states = steps(opt, [1.0], lambda x: 2 * x, 3)
    np.testing.assert_allclose(np.ravel(xs), [1 / 2, 1 / 3, 1 / 4], rtol=1e-15)
    assert [s.t for s in states] == [1, 2, 3]


def test_scheduled_adam_by_hand():
    # beta1 = beta2 = 0.5, eps = 0, gradients 1, -1, 2; lr_t = 0.5, 0.25, 0.125
    # t=1: m = 0.5, v = 0.5; m_hat = 1, v_hat = 1: step 0.5, x = 0.5
    # t=2: m = 0.25 - 0.5 = -0.25, v = 0.25 + 0.5 = 0.75; m_hat = -1/3, v_hat = 1:
    #      step -0.25/3, x = 0.5 + 1/12 = 7/12
    # t=3: m = -0.125 + 1 = 0.875, v = 0.375 + 2 = 2.375; m_hat = 1, v_hat = 19/7:
    #      step 0.125 sqrt(7/19), x = 7/12 - 0.125 sqrt(7/19)
    # torch: Adam(lr=0.5) with LambdaLR(lambda e: 0.5 ** e) takes the same steps,
    # since its moments do not contain the lr
    opt = optlib.scheduled(optlib.adam, step_decay(lr0=0.5, factor=0.5, every=1),
                           beta1=0.5, beta2=0.5, eps=0.0)
    xs, states = steps(opt, [1.0], scripted(1.0, -1.0, 2.0), 3)
    np.testing.assert_allclose(np.ravel(xs), [0.5, 7 / 12, 7 / 12 - 0.125 * np.sqrt(7 / 19)],
                               rtol=1e-15)
    assert states[-1].m[0] == 0.875 and states[-1].v[0] == 2.375 and states[-1].t == 3


def test_scheduled_momentum_by_hand_and_how_torch_differs():
    # gamma = 0.5, constant gradient 1, lr 0.2 then 0.1 then 0.1
    # optlib: v = 0.2, 0.1 + 0.1 = 0.2, 0.1 + 0.1 = 0.2; x = 0.8, 0.6, 0.4
    # torch SGD(momentum=0.5): buffer b = 1, 1.5, 1.75; steps 0.2, 0.15, 0.175;
    # x = 0.8, 0.65, 0.475 (the new lr rescales the whole buffer)
    opt = optlib.scheduled(optlib.momentum, lambda t: 0.2 if t == 1 else 0.1, gamma=0.5)
    xs, states = steps(opt, [1.0], scripted(1.0, 1.0, 1.0), 3)
    np.testing.assert_allclose(np.ravel(xs), [0.8, 0.6, 0.4], rtol=1e-15)
    np.testing.assert_allclose([s.v[0] for s in states], [0.2, 0.2, 0.2], rtol=1e-15)
    x, b, torch_xs = 1.0, 0.0, []
    for lr in (0.2, 0.1, 0.1):        # torch's rule, written out
        b = 0.5 * b + 1.0
        x = x - lr * b
        torch_xs.append(x)
    np.testing.assert_allclose(torch_xs, [0.8, 0.65, 0.475], rtol=1e-15)


def test_scheduled_n_by_2_is_n_separate_runs():
    starts = np.array([[-1.0, 0.5], [0.3, 2.0], [1.5, -0.2]])
    for name, hp in (("sgd", {}), ("nesterov", {"gamma": 0.9}), ("adam", {"beta1": 0.8})):
        opt = optlib.scheduled(name, inverse_time(lr0=0.05, decay=0.1), **hp)
        together = optlib.run(opt, smooth_grad, starts, 30)
        apart = np.stack([optlib.run(opt, smooth_grad, s, 30) for s in starts], axis=1)
        assert np.array_equal(together, apart)


def test_scheduled_step_is_pure():
    opt = optlib.scheduled(optlib.adam, inverse_time(lr0=0.1, decay=0.5))
    x = np.array([0.5, -1.0])
    state = opt.init(x)
    x_copy, state_copy = x.copy(), [np.copy(a) for a in state]
    first = opt.step(x, state, smooth_grad)
    again = opt.step(x, state, smooth_grad)      # the same inputs give the same answer
    assert np.array_equal(first[0], again[0])
    assert np.array_equal(x, x_copy) and all(np.array_equal(a, b)
                                             for a, b in zip(state, state_copy))


def test_scheduled_validation():
    with pytest.raises(ValueError, match="factory must be one of optlib's optimizers"):
        optlib.scheduled(lambda lr: optlib.sgd(lr=lr), constant(0.1))
    with pytest.raises(ValueError, match="factory must be one of optlib's optimizers"):
        optlib.scheduled("adamm", constant(0.1))
    with pytest.raises(ValueError, match="schedule must be a callable"):
        optlib.scheduled(optlib.sgd, 0.1)
    with pytest.raises(ValueError, match=r"^lr must not be given to scheduled"):
        optlib.scheduled(optlib.sgd, constant(0.1), lr=0.1)
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\), got 1\.0"):
        optlib.scheduled(optlib.momentum, constant(0.1), gamma=1.0)
    with pytest.raises(TypeError):
        optlib.scheduled(optlib.sgd, constant(0.1), gamma=0.9)   # sgd has no gamma
    for bad in (0.0, -0.1, math.nan, math.inf, "0.1", None):
        with pytest.raises(ValueError, match=r"schedule\(1\) = .* lr must be finite and > 0"):
            optlib.scheduled(optlib.sgd, lambda t, bad=bad: bad)
    # a schedule that goes bad later raises at that step, naming it
    opt = optlib.scheduled(optlib.sgd, lambda t: 0.1 if t < 3 else -0.1)
    with pytest.raises(ValueError, match=r"schedule\(3\) = -0\.1 is not a valid lr"):
        optlib.run(opt, smooth_grad, np.ones(2), 5)


def test_scheduled_repr_and_attributes():
    opt = optlib.scheduled(optlib.sgd, inverse_time(lr0=0.5, decay=0.01))
    assert repr(opt) == "scheduled(sgd, inverse_time(lr0=0.5, decay=0.01))"
    opt = optlib.scheduled("momentum", step_decay(lr0=0.1, factor=0.5, every=100), gamma=0.8)
    assert repr(opt) == \
        "scheduled(momentum, step_decay(lr0=0.1, factor=0.5, every=100), gamma=0.8)"
    assert opt.name == "momentum" and opt.gamma == 0.8 and isinstance(opt, optlib.Optimizer)
    namespace = {**optlib.OPTIMIZERS, "scheduled": optlib.scheduled,
                 "step_decay": step_decay}
    assert repr(eval(repr(opt), namespace)) == repr(opt)
    with pytest.raises(AttributeError):
        opt.lr
