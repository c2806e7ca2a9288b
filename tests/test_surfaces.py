"""Tests for optlib.surfaces: formulas, gradients, shapes, and the lists of minima."""
import dataclasses
import math

import numpy as np
import pytest

from optlib import surfaces

SEED_SIX = ["wobbly", "basins_and_walls", "ripple", "giant_plateau", "hills_and_canyon",
            "two_minimums"]
CLASSICS = ["rosenbrock", "beale", "saddle", "ill_conditioned_quadratic"]
ALL = SEED_SIX + CLASSICS


# --------------------------------------------------------------------------
# Independent scalar versions, written from the seed's theano expressions
# (W[0] is x, W[1] is y) and the classic formulas, with the math module.
# --------------------------------------------------------------------------

def ref_wobbly(x, y):
    return ((x * x + y * y) / 3 + abs(x) * math.sqrt(abs(x) + 0.1) + 3 * math.sin(x + y)
            + 3.0 + 8 * math.exp(-2 * ((x + 1) ** 2 + (y + 2) ** 2)))


def ref_basins_and_walls(x, y):
    return (x * x + y * y) / 2 + math.sin(x * 4) ** 2


def ref_ripple(x, y):
    return (x * x + y * y) / 3 + (math.sin(x * 20) ** 2 + math.sin(y * 20) ** 2) / 15


def ref_giant_plateau(x, y):
    return 4 * (1 - math.exp(-(x ** 2 + y ** 2)))


def ref_hills_and_canyon(x, y):
    return ((x * x + y * y) / 3
            + 3 * math.exp(-((x + 1) ** 2 + (y + 2) ** 2))
            + math.exp(-1.5 * (2 * (x + 2) ** 2 + (y - 0.5) ** 2))
            + 3 * math.exp(-1.5 * ((x - 1) ** 2 + 2 * (y + 1.5) ** 2))
            + 1.5 * math.exp(-((x + 1.5) ** 2 + 3 * (y + 0.5) ** 2))
            + 4 * (1 - math.exp(-((x + y) ** 2))))


def ref_two_minimums(x, y):
    return 4 - 0.5 * math.exp(-((x + 2.5) ** 2 + (y + 2.5) ** 2)) - 3 * math.exp(-(x ** 2 + y ** 2))


def ref_rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def ref_beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y ** 3) ** 2


def ref_saddle(x, y):
    return x * x - y * y


def ref_ill_conditioned_quadratic(x, y):
    # coordinates along the steep axis (30 degrees) and across it; curvatures 10 and 0.2
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    u, v = c * x + s * y, -s * x + c * y
    return 0.5 * (10 * u * u + 0.2 * v * v)


REFERENCE = {name: globals()["ref_" + name] for name in ALL}


def random_points(surface, n, seed):
    (xmin, xmax), (ymin, ymax) = surface.window
    return np.random.default_rng(seed).uniform([xmin, ymin], [xmax, ymax], size=(n, 2))


# --------------------------------------------------------------------------
# Registry and fields
# --------------------------------------------------------------------------

def test_registry_order_and_get():
    assert list(surfaces.SURFACES) == ALL
    for name in ALL:
        s = surfaces.get(name)
        assert s is getattr(surfaces, name) and s.name == name
        assert surfaces.get(s) is s


@pytest.mark.parametrize("bad", ["wobly", "Wobbly", "", 3, None])
def test_unknown_surface_lists_allowed_names(bad):
    with pytest.raises(ValueError) as info:
        surfaces.get(bad)
    for name in ALL:
        assert repr(name) in str(info.value)


@pytest.mark.parametrize("name", ALL)
def test_fields(name):
    s = surfaces.get(name)
    assert isinstance(s.title, str) and s.title and isinstance(s.description, str)
    (xmin, xmax), (ymin, ymax) = s.window
    assert xmin < xmax and ymin < ymax
    assert s.extent == (xmin, xmax, ymin, ymax)
    assert s.start.shape == (2,) and s.in_window(s.start)
    assert s.global_minima.ndim == 2 and s.global_minima.shape[1] == 2
    assert s.local_minima.ndim == 2 and s.local_minima.shape[1] == 2
    assert s.minima.shape == (len(s.global_minima) + len(s.local_minima), 2)
    np.testing.assert_array_equal(s.minima[:len(s.global_minima)], s.global_minima)
    assert s.levels is None or np.all(np.diff(s.levels) > 0)
    assert name in repr(s)


@pytest.mark.parametrize("name", SEED_SIX)
def test_seed_window_and_start(name):
    s = surfaces.get(name)
    assert s.window == ((-3.0, 3.0), (-3.0, 3.0))
    np.testing.assert_array_equal(s.start, [-2.8, -2.5])


def test_surfaces_are_immutable():
    s = surfaces.wobbly
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.start = np.zeros(2)
    with pytest.raises(ValueError):
        s.global_minima[0, 0] = 1.0
    with pytest.raises(ValueError):
        s.levels[0] = 1.0


# --------------------------------------------------------------------------
# Formulas and shapes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_f_matches_independent_formula(name):
    s, ref = surfaces.get(name), REFERENCE[name]
    points = np.vstack([random_points(s, 20, seed=1), s.start, s.minima[:5],
                        [[0.0, 0.0], [-1.0, -2.0], [1.5, -0.5]]])
    expected = [ref(x, y) for x, y in points]
    np.testing.assert_allclose(s.f(points), expected, rtol=1e-13, atol=1e-13)
    for p, e in zip(points[:5], expected):
        assert float(s.f(p)) == pytest.approx(e, rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("name", ALL)
def test_shape_conventions(name):
    s = surfaces.get(name)
    grid = random_points(s, 12, seed=2).reshape(3, 4, 2)
    assert np.shape(s.f(grid[0, 0])) == ()
    assert s.f(grid[0]).shape == (4,)
    assert s.f(grid).shape == (3, 4)
    assert s.grad(grid[0, 0]).shape == (2,)
    assert s.grad(grid[0]).shape == (4, 2)
    assert s.grad(grid).shape == (3, 4, 2)
    assert s.hessian(grid).shape == (3, 4, 2, 2)
    assert s.in_window(grid).shape == (3, 4)
    # the same numbers whatever the batching
    np.testing.assert_array_equal(s.f(grid).ravel(), s.f(grid.reshape(-1, 2)))
    np.testing.assert_array_equal(s.grad(grid).reshape(-1, 2), s.grad(grid.reshape(-1, 2)))
    for p in grid.reshape(-1, 2)[:3]:
        np.testing.assert_array_equal(s.grad(p), s.grad(p[np.newaxis])[0])
    # integer input is accepted
    assert np.shape(s.f([1, 1])) == ()


@pytest.mark.parametrize("shape", [(), (3,), (5, 3), (2, 1)])
def test_bad_point_shapes_raise(shape):
    p = np.zeros(shape)
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(\.\.\., 2\)"):
        surfaces.wobbly.f(p)
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(\.\.\., 2\)"):
        surfaces.ripple.grad(p)


def central_differences(f, p, h):
    rows = [(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(2)]
    return np.stack(rows, axis=-1)


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_central_differences(name):
    s = surfaces.get(name)
    p = random_points(s, 200, seed=3)
    if name == "wobbly":                       # keep away from the kink at x = 0
        p = p[np.abs(p[:, 0]) > 1e-3]
    numeric = central_differences(s.f, p, h=1e-5)
    scale = 1 + np.abs(s.f(p))[:, None] + np.abs(numeric)
    for g in (s.grad(p),                                            # (N, 2)
              np.array([s.grad(q) for q in p]),                     # (2,) each
              s.grad(p[:198].reshape(9, 22, 2)).reshape(-1, 2)):    # (a, b, 2)
        n = len(g)
        assert np.all(np.abs(g - numeric[:n]) <= 1e-6 * scale[:n])


def test_wobbly_kink_gradient_is_mean_of_one_sided_limits():
    s = surfaces.wobbly
    for y in (-2.0, 0.3, 1.7):
        at = s.grad([0.0, y])[0]
        right = s.grad([1e-12, y])[0]
        left = s.grad([-1e-12, y])[0]
        assert right - left == pytest.approx(2 * math.sqrt(0.1), abs=1e-9)
        assert at == pytest.approx((left + right) / 2, abs=1e-9)


def test_hessian_against_analytic():
    A = surfaces.ill_conditioned_quadratic.hessian(np.zeros(2))
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    R = np.array([[c, -s], [s, c]])
    np.testing.assert_allclose(A, R @ np.diag([10.0, 0.2]) @ R.T, atol=1e-8)
    x, y = -1.2, 1.0                           # Rosenbrock's Hessian by hand
    expected = [[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200]]
    np.testing.assert_allclose(surfaces.rosenbrock.hessian([x, y]), expected, rtol=1e-7)


def test_ill_conditioned_quadratic_curvatures():
    H = surfaces.ill_conditioned_quadratic.hessian([0.3, -0.7])
    values, vectors = np.linalg.eigh(H)
    np.testing.assert_allclose(values, [0.2, 10.0], rtol=1e-7)
    assert values[1] / values[0] == pytest.approx(50, rel=1e-6)
    steep = vectors[:, 1] * np.sign(vectors[0, 1])
    np.testing.assert_allclose(steep, [math.cos(math.pi / 6), math.sin(math.pi / 6)], atol=1e-7)
    assert "lr < 2/L = 0.2" in surfaces.ill_conditioned_quadratic.description


def test_rotated_quadratic_validates():
    with pytest.raises(ValueError, match="L must be"):
        surfaces.rotated_quadratic(L=0.0)
    with pytest.raises(ValueError, match="mu must be"):
        surfaces.rotated_quadratic(L=1.0, mu=-1.0)
    with pytest.raises(ValueError, match="mu must be <= L"):
        surfaces.rotated_quadratic(L=1.0, mu=2.0)


# --------------------------------------------------------------------------
# The lists of minima
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_listed_minima_are_minima(name):
    s = surfaces.get(name)
    if len(s.minima) == 0:
        return
    assert s.in_window(s.minima).all()
    assert np.all(np.linalg.norm(s.grad(s.minima), axis=-1) < 1e-9)
    assert np.all(np.linalg.eigvalsh(s.hessian(s.minima))[:, 0] > 1e-2)
    # no minimum listed twice
    d = np.linalg.norm(s.minima[:, None] - s.minima[None], axis=-1)
    assert np.all(d[~np.eye(len(d), dtype=bool)] > 1e-3)
    # the global minima are the lowest points of the window, the local ones higher
    f_global, f_local = s.f(s.global_minima), s.f(s.local_minima)
    assert np.ptp(f_global) < 1e-12
    assert np.all(f_local > f_global.max() + 1e-6)
    (xmin, xmax), (ymin, ymax) = s.window
    grid = np.stack(np.meshgrid(np.linspace(xmin, xmax, 301), np.linspace(ymin, ymax, 301)), -1)
    assert f_global.max() <= s.f(grid).min() + 1e-12


def test_saddle_has_no_minimum_and_one_saddle():
    s = surfaces.saddle
    assert s.minima.shape == (0, 2)
    np.testing.assert_array_equal(s.saddles, [[0.0, 0.0]])
    np.testing.assert_array_equal(s.grad(s.saddles[0]), [0.0, 0.0])
    lo, hi = np.linalg.eigvalsh(s.hessian(s.saddles[0]))
    assert lo < 0 < hi
    assert s.nearest_minimum([0.0, 0.0]) == -1


def discrete_minima(s, n):
    """Interior points of an n x n grid over the window lower than their 8 neighbours."""
    (xmin, xmax), (ymin, ymax) = s.window
    P = np.stack(np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n)), -1)
    F = s.f(P)
    inner = F[1:-1, 1:-1]
    lowest = np.ones(inner.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                lowest &= inner < F[1 + dy:n - 1 + dy, 1 + dx:n - 1 + dx]
    return P[1:-1, 1:-1][lowest]


def descend(s, p, iterations=200):
    """Newton's method, its Hessian shifted to be positive definite where it is not,
    each step shortened until f decreases enough (Armijo backtracking)."""
    p = p.copy()
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            g, H = s.grad(p), s.hessian(p)
            eig = np.linalg.eigvalsh(H)
            shift = np.maximum(0, 1e-3 * np.abs(eig[:, 1]) - eig[:, 0])
            d = -np.linalg.solve(H + shift[:, None, None] * np.eye(2), g[..., None])[..., 0]
            f0, slope = s.f(p), (g * d).sum(-1)
            t, step, found = 1.0, np.zeros(len(p)), np.zeros(len(p), dtype=bool)
            for _ in range(50):
                ok = ~found & (s.f(p + t * d) <= f0 + 1e-4 * t * slope)
                step[ok], found = t, found | ok
                t /= 2
            p = p + step[:, None] * d
    return p


@pytest.mark.parametrize("name", ALL)
def test_minima_lists_are_complete(name):
    """Every local minimum a dense grid search finds (refined by descent) is listed, and
    every listed minimum is found; every grid candidate either reaches a listed minimum
    or leaves the window."""
    s = surfaces.get(name)
    candidates = discrete_minima(s, 601)
    found = descend(s, candidates) if len(candidates) else np.zeros((0, 2))
    inside = s.in_window(found)
    converged = np.linalg.norm(s.grad(found), axis=-1) < 1e-8
    assert np.all(converged | ~inside), found[~converged & inside]
    index = s.nearest_minimum(found[inside], tol=1e-6)
    assert np.all(index >= 0), found[inside][index < 0]
    assert set(index.tolist()) == set(range(len(s.minima)))


def test_minima_values():
    assert len(surfaces.wobbly.minima) == 1
    assert len(surfaces.basins_and_walls.minima) == 7
    assert len(surfaces.ripple.minima) == 625
    assert len(surfaces.hills_and_canyon.minima) == 3
    np.testing.assert_allclose(surfaces.two_minimums.minima, [[0, 0], [-2.5, -2.5]], atol=1e-4)
    np.testing.assert_array_equal(surfaces.rosenbrock.minima, [[1.0, 1.0]])
    np.testing.assert_array_equal(surfaces.beale.minima, [[3.0, 0.5]])
    assert surfaces.rosenbrock.f([1.0, 1.0]) == 0 and surfaces.beale.f([3.0, 0.5]) == 0
    # ripple's local minima are listed from the lowest to the highest
    assert np.all(np.diff(surfaces.ripple.f(surfaces.ripple.local_minima)) >= 0)


# --------------------------------------------------------------------------
# in_window and nearest_minimum
# --------------------------------------------------------------------------

def test_in_window_includes_borders():
    s = surfaces.rosenbrock
    assert s.in_window([-2.0, 3.0]) and s.in_window([2.0, -1.0])
    np.testing.assert_array_equal(s.in_window([[2.01, 0.0], [0.0, -1.01], [np.nan, 0.0]]),
                                  [False, False, False])


def test_nearest_minimum():
    s = surfaces.two_minimums
    assert s.nearest_minimum(s.minima[1]) == 1
    assert s.nearest_minimum([0.03, -0.03], tol=0.05) == 0
    assert s.nearest_minimum([0.03, -0.03], tol=0.01) == -1
    p = np.array([[[0.0, 0.0], [-2.5, -2.5]], [[1.0, 1.0], [np.nan, 0.0]]])
    np.testing.assert_array_equal(s.nearest_minimum(p), [[0, 1], [-1, -1]])
    assert isinstance(s.nearest_minimum([0.0, 0.0]), int)
    # the nearest one wins among ripple's close neighbours
    r = surfaces.ripple
    k = r.nearest_minimum(r.minima + 0.01, tol=0.07)
    np.testing.assert_array_equal(k, np.arange(len(r.minima)))
    for bad in (0, -1.0, np.inf, "0.1"):
        with pytest.raises(ValueError, match="tol must be"):
            s.nearest_minimum([0.0, 0.0], tol=bad)


# --------------------------------------------------------------------------
# from_formula (more in tests/test_formula.py)
# --------------------------------------------------------------------------

def test_from_formula_gives_a_surface_like_the_books():
    s = surfaces.from_formula("(x**2 + y**2)/2 + sin(4*x)**2")
    book = surfaces.basins_and_walls
    p = random_points(book, 100, seed=7)
    np.testing.assert_allclose(s.f(p), book.f(p), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(s.grad(p), book.grad(p), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.global_minima, book.global_minima, atol=1e-9)
    np.testing.assert_allclose(s.local_minima[np.argsort(s.local_minima[:, 0])],
                               book.local_minima[np.argsort(book.local_minima[:, 0])],
                               atol=1e-9)
    assert isinstance(s, surfaces.Surface) and s.name not in surfaces.SURFACES


def test_from_formula_refuses_python():
    with pytest.raises(ValueError, match=r"formula \"__import__\('os'\)\" calls __import__\(\)"):
        surfaces.from_formula("__import__('os')")


def _assert_one_point_is_its_batch(s):
    """s.grad and s.f at each point alone equal, to the last bit, their values in a batch."""
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = s.window
    pts = np.concatenate([np.column_stack([rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)]),
                          rng.normal(0.0, 30.0, (100, 2)),
                          [[0.0, 0.0], [1e200, -1e200], [np.inf, 0.0], [np.nan, 1.0]]])
    with np.errstate(all="ignore"):
        grads, values = s.grad(pts), s.f(pts)
        for p, g, v in zip(pts, grads, values):
            one_g, one_v = s.grad(p), s.f(p)
            assert one_g.shape == (2,) and one_g.dtype == np.float64
            assert isinstance(one_v, np.float64)
            np.testing.assert_array_equal(one_g, g, err_msg=f"grad at {p}")
            np.testing.assert_array_equal(one_v, v, err_msg=f"f at {p}")


@pytest.mark.parametrize("name", ALL)
def test_one_point_gets_bit_for_bit_what_a_batch_of_points_gets(name):
    """A single point is computed on numpy scalars (ten times faster than on a one-element
    array: a run takes one gradient per step); the values must be those of the batch, to
    the last bit, or run() and run_many() would part ways on a chaotic surface."""
    _assert_one_point_is_its_batch(surfaces.get(name))


@pytest.mark.parametrize("text", ["x**3/9 + 3*sin(x + y) + exp(-(x**2 + y**2)) + 0.1*y**4",
                                  "x**2/3 + 3*sin(x + y)", "tanh(x) * cos(y) + x**2/10"])
def test_a_formula_surface_gives_one_point_what_a_batch_gets(text):
    """from_formula computes one point as a batch of one: on numpy scalars sympy's sin, exp
    and ** take the C library's functions, on arrays numpy's SIMD loops, which differ in
    the last bit with AVX-512 (2 gradients and 4 values of 400 on a Zen 4 before)."""
    _assert_one_point_is_its_batch(surfaces.from_formula(text))
