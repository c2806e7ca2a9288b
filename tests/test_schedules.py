"""Tests of optlib.schedules: values worked out by hand, readable reprs, bad input."""
import math

import pytest

import numpy as np

import optlib
from optlib import schedules
from optlib.schedules import Schedule, constant, inverse_time, step_decay


def test_constant():
    s = constant(0.25)
    assert [s(t) for t in (1, 2, 10 ** 6)] == [0.25, 0.25, 0.25]
    assert repr(s) == "constant(lr=0.25)"


def test_inverse_time_by_hand():
    s = inverse_time(lr0=0.3, decay=0.5)       # 0.3 / (1 + t/2): 0.2, 0.15, 0.12
    assert [s(t) for t in (1, 2, 3)] == pytest.approx([0.2, 0.15, 0.12], rel=1e-15)
    assert repr(s) == "inverse_time(lr0=0.3, decay=0.5)"
    assert inverse_time(lr0=0.1, decay=0)(1000) == 0.1     # no decay: constant
    # Robbins-Monro: the lr falls like 1/t, so t * lr_t tends to lr0 / decay
    assert 1e6 * s(10 ** 6) == pytest.approx(0.3 / 0.5, rel=1e-5)


def test_step_decay_by_hand():
    s = step_decay(lr0=0.8, factor=0.5, every=3)
    assert [s(t) for t in range(1, 11)] == [0.8] * 3 + [0.4] * 3 + [0.2] * 3 + [0.1]
    assert repr(s) == "step_decay(lr0=0.8, factor=0.5, every=3)"
    assert [step_decay(1.0, 1.0, 1)(t) for t in (1, 50)] == [1.0, 1.0]


def test_schedules_are_schedules():
    for s in (constant(0.1), inverse_time(0.1, 0.1), step_decay(0.1, 0.5, 2)):
        assert isinstance(s, Schedule) and callable(s)


@pytest.mark.parametrize("build, pattern", [
    (lambda: constant(0.0), r"^lr must be finite and > 0, got 0\.0"),
    (lambda: constant(math.nan), r"^lr must be finite and > 0"),
    (lambda: inverse_time(-0.1, 0.1), r"^lr0 must be finite and > 0"),
    (lambda: inverse_time(0.1, -1.0), r"^decay must be finite and >= 0, got -1\.0"),
    (lambda: inverse_time(0.1, math.inf), r"^decay must be finite and >= 0"),
    (lambda: step_decay(0.1, 0.0, 5), r"^factor must be in \(0, 1\], got 0\.0"),
    (lambda: step_decay(0.1, 1.5, 5), r"^factor must be in \(0, 1\], got 1\.5"),
    (lambda: step_decay(0.1, "half", 5), r"^factor must be in \(0, 1\], got 'half'"),
    (lambda: step_decay(0.1, 0.5, 0), r"^every must be an integer >= 1, got 0"),
    (lambda: step_decay(0.1, 0.5, 2.5), r"^every must be an integer >= 1, got 2\.5"),
])
def test_bad_arguments_raise_naming_them(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


def test_cosine_by_hand_and_after_its_budget():
    s = schedules.cosine(lr0=0.2, total=10, lr_min=0.02)
    values = [s(t) for t in range(1, 13)]
    expected = [0.02 + 0.18 * (1 + math.cos(math.pi * k / 10)) / 2 for k in range(10)]
    np.testing.assert_allclose(values[:10], expected, rtol=1e-15)
    assert values[0] == 0.2 and values[10] == values[11] == values[9] > 0.02
    assert all(a > b for a, b in zip(values[:10], values[1:10]))
    assert schedules.cosine(lr0=1.0, total=5)(100) > 0      # stays a valid lr for lr_min = 0


def test_warmup_cosine_by_hand():
    s = schedules.warmup_cosine(lr0=0.1, warmup=4, total=14)
    np.testing.assert_allclose([s(t) for t in (1, 2, 3, 4)], [0.025, 0.05, 0.075, 0.1], rtol=1e-15)
    cos = schedules.cosine(lr0=0.1, total=10)
    np.testing.assert_allclose([s(t) for t in range(5, 20)], [cos(t) for t in range(1, 16)],
                               rtol=1e-15)


def test_cosine_schedules_drive_an_optimizer():
    opt = optlib.scheduled(optlib.adam, schedules.warmup_cosine(lr0=0.1, warmup=5, total=50))
    path = optlib.run(opt, lambda x: 2 * x, np.array([1.0]), 60)
    assert np.isfinite(path).all() and abs(path[-1, 0]) < abs(path[0, 0])
    assert repr(opt) == "scheduled(adam, warmup_cosine(lr0=0.1, warmup=5, total=50, lr_min=0.0), " \
                        "beta1=0.9, beta2=0.999, eps=1e-08)"


def test_cosine_schedules_validate():
    with pytest.raises(ValueError, match=r"^total must be an integer >= 1, got 0"):
        schedules.cosine(lr0=0.1, total=0)
    with pytest.raises(ValueError, match=r"^lr_min must be finite, >= 0 and < lr0 = 0.1, got 0.2"):
        schedules.cosine(lr0=0.1, total=10, lr_min=0.2)
    with pytest.raises(ValueError, match=r"^total must be > warmup = 10, got 10"):
        schedules.warmup_cosine(lr0=0.1, warmup=10, total=10)
    with pytest.raises(ValueError, match=r"^lr0 must be finite and > 0"):
        schedules.warmup_cosine(lr0=-1.0, warmup=1, total=10)


def test_inverse_sqrt_by_hand():
    s = schedules.inverse_sqrt(lr0=0.6)
    assert [s(t) for t in (1, 4, 9, 100)] == pytest.approx([0.6, 0.3, 0.2, 0.06], rel=1e-15)
    assert repr(s) == "inverse_sqrt(lr0=0.6, warmup=0)"
    # sqrt(t) * lr_t stays lr0: the alpha / sqrt(t) of Kingma and Ba's and Reddi et al.'s theorems
    assert all(math.sqrt(t) * s(t) == pytest.approx(0.6, rel=1e-14) for t in range(1, 500, 7))


def test_inverse_sqrt_with_warmup_by_hand():
    # lr0 min(t / w, sqrt(w / t)) with w = 4: 0.25, 0.5, 0.75, 1, then sqrt(4/5), sqrt(4/6), ...
    s = schedules.inverse_sqrt(lr0=2.0, warmup=4)
    np.testing.assert_allclose([s(t) for t in range(1, 10)],
                               [0.5, 1.0, 1.5, 2.0] + [2.0 * math.sqrt(4 / t) for t in range(5, 10)],
                               rtol=1e-15)
    assert max(s(t) for t in range(1, 1000)) == s(4) == 2.0          # the peak is lr0, at step w
    assert s(16) == pytest.approx(1.0, rel=1e-15)                      # half the peak at 4 w
    assert repr(s) == "inverse_sqrt(lr0=2.0, warmup=4)"


def test_inverse_sqrt_validates_and_drives_an_optimizer():
    for bad in (-1, 2.5, "3", True, None):
        with pytest.raises(ValueError, match=r"^warmup must be an integer >= 0, got "):
            schedules.inverse_sqrt(lr0=0.1, warmup=bad)
    with pytest.raises(ValueError, match=r"^lr0 must be finite and > 0"):
        schedules.inverse_sqrt(lr0=0.0)
    assert schedules.inverse_sqrt(lr0=0.1, warmup=np.int64(3))(3) == pytest.approx(0.1)
    # sgd on f = x^2 / 2 with lr_t = 1 / sqrt(t): x_t = x_{t-1} (1 - 1/sqrt(t)); x_1 = 0
    opt = optlib.scheduled(optlib.sgd, schedules.inverse_sqrt(lr0=1.0))
    path = optlib.run(opt, lambda x: x, np.array([3.0, -1.0]), 3)
    np.testing.assert_array_equal(path[1], [0.0, 0.0])
    opt = optlib.scheduled(optlib.sgd, schedules.inverse_sqrt(lr0=0.5))
    path = optlib.run(opt, lambda x: x, np.array([1.0]), 3)[:, 0]
    np.testing.assert_allclose(path, [1.0, 0.5, 0.5 * (1 - 0.5 / math.sqrt(2)),
                                      0.5 * (1 - 0.5 / math.sqrt(2)) * (1 - 0.5 / math.sqrt(3))],
                               rtol=1e-15)
