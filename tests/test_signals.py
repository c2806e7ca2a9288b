"""Tests for optlib.signals: the six 1D gradient signals of the seed article's script."""
import math

import numpy as np
import pytest

from optlib import signals

NAMES = ["spikes", "rectangles", "noisy_sin", "very_noisy_sin", "uneven_sawtooth", "saturation"]

# The seed script's definitions, written out for one step x at a time.
EXACT = {
    "spikes": lambda x: int(x % 60 == 0),
    "rectangles": lambda x: 2 * int(x % 40 < 20) - 1,
    "uneven_sawtooth": lambda x: x % 20 / (15 * int(x > 80) + 5),
    "saturation": lambda x: int(x % 80 < 40),
}
TREND = {
    "noisy_sin": lambda x: math.sin(x / 20),
    "very_noisy_sin": lambda x: math.sin(x / 20) / 5,
}


def test_names_and_order():
    assert list(signals.SIGNALS) == NAMES
    assert list(signals.TITLES) == NAMES
    assert all(isinstance(t, str) and t and "\n" not in t for t in signals.TITLES.values())
    for name in NAMES:
        assert signals.SIGNALS[name] is getattr(signals, name)
        assert signals.SIGNALS[name].__doc__


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [1, 7, 300, 1000])
def test_length_and_dtype(name, n):
    x = signals.get(name, n)
    assert x.shape == (n,)
    assert x.dtype == np.float64
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("name", sorted(EXACT))
def test_deterministic_signals_match_seed_script(name):
    expected = [EXACT[name](x) for x in range(300)]
    np.testing.assert_array_equal(signals.get(name), expected)
    np.testing.assert_array_equal(getattr(signals, name)(), expected)


def test_hand_checked_values():
    assert np.flatnonzero(signals.spikes()).tolist() == [0, 60, 120, 180, 240]
    r = signals.rectangles()
    assert r[0] == r[19] == 1 and r[20] == r[39] == -1 and r[40] == 1
    s = signals.uneven_sawtooth()
    assert s[19] == pytest.approx(19 / 5) and s[80] == 0 and s[99] == pytest.approx(19 / 20)
    assert s.max() == pytest.approx(3.8)
    sat = signals.saturation()
    assert sat.sum() == 4 * 40        # high on 0-39, 80-119, 160-199, 240-279
    assert sat[:40].all() and not sat[40:80].any()


@pytest.mark.parametrize("name", sorted(TREND))
def test_noisy_signals_are_trend_plus_uniform_noise(name):
    x = signals.get(name, 300, seed=7)
    noise = x - np.array([TREND[name](t) for t in range(300)])
    assert np.all(noise >= -0.5) and np.all(noise < 0.5)
    # the noise is numpy.random.default_rng(seed).random(n) - 0.5
    np.testing.assert_allclose(noise, np.random.default_rng(7).random(300) - 0.5, atol=1e-12)


@pytest.mark.parametrize("name", sorted(TREND))
def test_noise_is_reproducible_and_depends_on_seed(name):
    f = getattr(signals, name)
    np.testing.assert_array_equal(f(), f(300, seed=413))
    np.testing.assert_array_equal(f(50, seed=1), f(50, seed=1))
    assert not np.array_equal(f(50, seed=1), f(50, seed=2))
    # a prefix of a longer signal is the shorter signal
    np.testing.assert_array_equal(f(500, seed=3)[:50], f(50, seed=3))


@pytest.mark.parametrize("name", sorted(TREND))
def test_noise_distribution_is_uniform(name):
    n = 200_000
    noise = signals.get(name, n, seed=0) - np.array([TREND[name](t) for t in range(n)])
    assert abs(noise.mean()) < 0.005
    assert noise.var() == pytest.approx(1 / 12, rel=0.02)
    counts, _ = np.histogram(noise, bins=10, range=(-0.5, 0.5))
    assert counts.min() > 0.95 * n / 10 and counts.max() < 1.05 * n / 10


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3", None])
@pytest.mark.parametrize("name", NAMES)
def test_bad_n_raises(name, bad):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        signals.get(name, bad)


def test_numpy_integer_n_is_accepted():
    assert signals.spikes(np.int64(5)).shape == (5,)


@pytest.mark.parametrize("bad", ["square", "Spikes", "", 3, None])
def test_unknown_name_lists_allowed_names(bad):
    with pytest.raises(ValueError) as info:
        signals.get(bad)
    message = str(info.value)
    assert "unknown signal" in message
    for name in NAMES:
        assert repr(name) in message


def test_extra_keywords_reach_the_signal():
    np.testing.assert_array_equal(signals.get("noisy_sin", 10, seed=5),
                                  signals.noisy_sin(10, seed=5))
    with pytest.raises(TypeError):
        signals.get("spikes", 10, seed=5)   # spikes takes no seed


def test_from_formula_reproduces_a_seed_signal_and_refuses_python():
    np.testing.assert_array_equal(signals.from_formula("t % 60 == 0", 300), signals.spikes(300))
    with pytest.raises(ValueError, match=r"formula 't\.real' uses attribute access"):
        signals.from_formula("t.real", 10)
