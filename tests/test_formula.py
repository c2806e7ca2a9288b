"""Tests for optlib/formula.py and the from_formula of surfaces and signals: formulas read
without eval, refused with a message naming what is wrong and what is allowed, exact
gradients, minima that match a brute-force grid, sympy loaded only on first use."""
import builtins
import json
import subprocess
import sys

import numpy as np
import pytest

from optlib import formula, signals, surfaces

SURFACE_WORDS = ["x, y", "+ - * / **", "sin, cos, tan, exp, log, sqrt, abs, tanh", "pi, e"]
SIGNAL_WORDS = ["variable t", "+ - * / ** %", "floor", "< <= > >= == !="]

# (formula, a piece of the message saying what is wrong)
BAD_SURFACES = [
    ("__import__('os')", "calls __import__()"),
    ("__import__('os').system('echo hacked')", "calls something that is not a function name"),
    ("x.real", "attribute access"),
    ("(lambda: 1)()", "calls something that is not a function name (lambda)"),
    ("lambda: x", "lambda"),
    ("[x]", "a list"),
    ("(x, y)", "a tuple"),
    ("{x: 1}", "a dict"),
    ("x if y else 1", "conditional expression"),
    ("open('f')", "calls open()"),
    ("f(x)", "calls f()"),
    ("exec('1')", "calls exec()"),
    ("eval('x')", "calls eval()"),
    ("sin.__class__", "attribute access"),
    ("x[0]", "indexing"),
    ("(z := 3) + x", "assignment (:=)"),
    ("x and y", "and / or"),
    ("not x", "'not'"),
    ("f'{x}'", "an f-string"),
    ("'x' + x", "'x', which is not a number"),
    ("True + x", "True, which is not a number"),
    ("1j * x", "1j, which is not a number"),
    ("[i for i in x]", "a list comprehension"),
    ("z + x", "the name 'z'"),
    ("t + x", "the name 't'"),
    ("sin", "the function sin without an argument"),
    ("sin(x, y)", "sin() with 2 arguments"),
    ("sin(x=1)", "sin() with a keyword argument"),
    ("sin()", "sin() with 0 arguments"),
    ("sin(*x)", "sin() with an unpacked argument"),
    ("floor(x)", "calls floor()"),            # signals only
    ("x % 2", "the operator '%'"),            # signals only
    ("x < y", "comparison"),                  # signals only
    ("x ^ 2", "'^' (write x**2 for a power)"),
    ("x // 2", "'//'"),
    ("x @ y", "'@'"),
    ("3 + pi", "does not depend on x or y (it is the constant 3 + pi)"),
    ("x - x", "does not depend on x or y (it is the constant 0)"),
    ("sin(pi) * y", "does not depend on x or y"),
    ("x**", "is not a valid expression"),
    ("x +* y", "is not a valid expression"),
    ("(x + y", "is not a valid expression"),
    ("x = 1", "is not a valid expression"),
    ("", "is empty"),
    ("   ", "is empty"),
    ("x + " * 200 + "x", "characters long; at most 400"),
    ("x**" * 11 + "2", "nests 11 powers in one another"),
    ("9**9**9 + x", "computes the number 9**387420489"),
    ("1e400 * x", "numbers must be at most"),
    ("10**20 * x", "computes the number 10**20"),
    ("1/0 + x", "infinite or undefined"),
    ("(-8)**(1/3) * x", "complex values"),
    ("log(x)", "not finite (nan or infinite) on 50% of the window"),
    ("sqrt(x) + y", "not finite (nan or infinite) on 50% of the window"),
    ("log(x - 2) * y", "not finite"),
]


@pytest.mark.parametrize("text, what", BAD_SURFACES)
def test_bad_surface_formulas_say_what_is_wrong_and_what_is_allowed(text, what):
    with pytest.raises(ValueError) as info:
        surfaces.from_formula(text)
    message = str(info.value)
    assert message.startswith("formula "), message
    assert what in message, message
    for words in SURFACE_WORDS:
        assert words in message, message
    assert "\n" not in message and len(message) < 600


BAD_SIGNALS = [
    ("__import__('os')", "calls __import__()"),
    ("t.real", "attribute access"),
    ("(lambda: 1)()", "lambda"),
    ("[t]", "a list"),
    ("t if t else 1", "conditional expression"),
    ("open('f')", "calls open()"),
    ("y", "the name 'y'"),
    ("x + t", "the name 'x'"),
    ("1", "does not depend on t (it is the constant 1)"),
    ("t - t + 2", "does not depend on t"),
    ("t %", "is not a valid expression"),
    ("t % 0", "cannot be computed"),
    ("log(t)", "not finite at step t = 0 (1 of the 300 steps)"),
    ("1/(t - 5)", "not finite at step t = 5"),
    ("sqrt(t - 10)", "not finite at step t = 0 (10 of the 300 steps)"),
    ("t " * 300, "characters long"),
]


@pytest.mark.parametrize("text, what", BAD_SIGNALS)
def test_bad_signal_formulas_say_what_is_wrong_and_what_is_allowed(text, what):
    with pytest.raises(ValueError) as info:
        signals.from_formula(text, 300)
    message = str(info.value)
    assert message.startswith("formula "), message
    assert what in message, message
    if "finite at step" not in message:
        for words in SIGNAL_WORDS:
            assert words in message, message


@pytest.mark.parametrize("bad", [None, 3, b"x", ["x"]])
def test_a_formula_must_be_a_string(bad):
    with pytest.raises(ValueError, match="formula must be a string"):
        surfaces.from_formula(bad)
    with pytest.raises(ValueError, match="formula must be a string"):
        signals.from_formula(bad)


def test_formulas_never_reach_eval(monkeypatch, tmp_path):
    """The reader's string goes to ast.parse only: with eval, sympify and parse_expr
    broken, formulas still work, and an attempt to run Python runs nothing."""
    import sympy
    import sympy.parsing.sympy_parser as parser

    def forbidden(*args, **kwargs):
        raise AssertionError(f"called with {args!r}")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden)
    monkeypatch.setattr(parser, "parse_expr", forbidden)
    s = surfaces.from_formula("x**2/3 + 3*sin(x + y)")
    assert float(s.f([0.0, 0.0])) == 0.0
    marker = tmp_path / "hacked"
    for attack in (f"__import__('os').system('touch {marker}')",
                   f"open('{marker}', 'w')",
                   "().__class__.__bases__[0].__subclasses__()"):
        with pytest.raises(ValueError):
            surfaces.from_formula(attack)
        with pytest.raises(ValueError):
            signals.from_formula(attack.replace("x", "t"))
    assert not marker.exists()


def test_vocabulary_words():
    assert formula.vocabulary(formula.SURFACE_VOCABULARY).startswith("the variables x, y;")
    assert formula.vocabulary(formula.SIGNAL_VOCABULARY).startswith("the variable t;")
    assert "floor" not in formula.vocabulary(formula.SURFACE_VOCABULARY)


# --------------------------------------------------------------------------
# Surfaces: values, gradients, shapes
# --------------------------------------------------------------------------

GOOD = {
    "x**2/3 + 3*sin(x + y)": lambda x, y: x ** 2 / 3 + 3 * np.sin(x + y),
    "(1 - x)**2 + 100*(y - x**2)**2": lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    "exp(-x**2) * cos(3*y) + tanh(x*y) - sqrt(x**2 + y**2 + 1)":
        lambda x, y: np.exp(-x ** 2) * np.cos(3 * y) + np.tanh(x * y) - np.sqrt(x ** 2 + y ** 2 + 1),
    "log(1 + x**2 + y**2) + abs(x - 0.5) * tan(y / 3) / e + pi":
        lambda x, y: np.log(1 + x ** 2 + y ** 2) + np.abs(x - 0.5) * np.tan(y / 3) / np.e + np.pi,
    "y": lambda x, y: y,
    "-x**-2 + (x**2 + 1)**0.5 + 2**x": lambda x, y: -x ** -2.0 + (x ** 2 + 1) ** 0.5 + 2 ** x,
}


def random_points(window, n, seed):
    (x0, x1), (y0, y1) = window
    return np.random.default_rng(seed).uniform([x0, y0], [x1, y1], size=(n, 2))


@pytest.mark.parametrize("text", list(GOOD))
def test_values_match_numpy(text):
    s = surfaces.from_formula(text)
    p = random_points(s.window, 200, seed=1)
    np.testing.assert_allclose(s.f(p), GOOD[text](p[:, 0], p[:, 1]), rtol=1e-12, atol=1e-12)


def central_differences(f, p, h):
    return np.stack([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)


@pytest.mark.parametrize("text", list(GOOD))
def test_gradient_equals_central_differences(text):
    s = surfaces.from_formula(text)
    p = random_points(s.window, 300, seed=2)
    p = p[(np.abs(p[:, 0] - 0.5) > 1e-3) & (np.abs(p[:, 0]) > 1e-2)]     # kinks and poles
    numeric = central_differences(s.f, p, h=1e-6)
    exact = s.grad(p)
    scale = 1 + np.abs(exact) + np.abs(s.f(p))[:, None]
    assert np.all(np.abs(exact - numeric) <= 1e-6 * scale)
    assert np.abs(exact).max() > 0.1            # a gradient that is not trivially zero


def test_long_and_deeply_parenthesised_formulas_are_read():
    s = surfaces.from_formula("(" * 150 + "x**2 + y**2" + ")" * 150)
    np.testing.assert_allclose(s.global_minima, [[0.0, 0.0]], atol=1e-12)
    t = surfaces.from_formula(" + ".join(f"sin({k}*x + y)/{k}" for k in range(1, 20)))
    assert float(t.f([0.0, 0.0])) == 0.0


def test_shapes_and_batching_as_the_books_surfaces():
    s = surfaces.from_formula("x**2/3 + 3*sin(x + y)")
    grid = random_points(s.window, 12, seed=3).reshape(3, 4, 2)
    assert np.shape(s.f(grid[0, 0])) == () and s.f(grid).shape == (3, 4)
    assert s.grad(grid[0, 0]).shape == (2,) and s.grad(grid).shape == (3, 4, 2)
    np.testing.assert_array_equal(s.grad(grid).reshape(-1, 2), s.grad(grid.reshape(-1, 2)))
    np.testing.assert_array_equal(s.grad(grid[1, 2]), s.grad(grid[1:2, 2:3])[0, 0])
    # a partial derivative that is a constant still has the shape of the points
    plane = surfaces.from_formula("2*x + y**2")
    np.testing.assert_array_equal(plane.grad(grid)[..., 0], np.full((3, 4), 2.0))
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(\.\.\., 2\)"):
        s.f(np.zeros(3))


def test_name_title_window_start_and_description():
    s = surfaces.from_formula("  x**2 +   y**2 ")
    assert s.name == "x**2 + y**2" and s.title == "f = x**2 + y**2"
    assert s.window == ((-3.0, 3.0), (-3.0, 3.0))
    np.testing.assert_array_equal(s.start, surfaces.SEED_START)
    assert "1 minimum in the window (1 global)" in s.description
    t = surfaces.from_formula("(x - 5)**2 + y**2", window=((0, 10), (-2, 4)), name="mine",
                              title="Mine")
    assert (t.name, t.title) == ("mine", "Mine")
    np.testing.assert_allclose(t.start, [10 / 30, -2 + 6 / 12])
    np.testing.assert_allclose(t.global_minima, [[5.0, 0.0]], atol=1e-9)
    u = surfaces.from_formula("x**2 + y**2", start=(1, 2))
    np.testing.assert_array_equal(u.start, [1.0, 2.0])


@pytest.mark.parametrize("window", [((0, 0), (0, 1)), ((1, 0), (0, 1)), ((0, np.inf), (0, 1)),
                                    (0, 1), "big", ((0, 1),)])
def test_bad_window(window):
    with pytest.raises(ValueError, match=r"window must be \(\(xmin, xmax\), \(ymin, ymax\)\)"):
        surfaces.from_formula("x**2 + y**2", window=window)


@pytest.mark.parametrize("start", [(5, 0), (0, 0, 0), (np.nan, 0)])
def test_bad_start(start):
    with pytest.raises(ValueError, match="start must be a point"):
        surfaces.from_formula("x**2 + y**2", start=start)


# --------------------------------------------------------------------------
# Minima, against a brute-force grid
# --------------------------------------------------------------------------

def brute_force_minima(s, n):
    """Interior points of an n x n grid lower than their 8 neighbours, with their values."""
    P = formula.grid(s.window, n)
    F = s.f(P)
    inner = F[1:-1, 1:-1]
    lowest = np.ones(inner.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:        # a tie with a neighbour after it goes to the neighbour
                neighbour = F[1 + dy:n - 1 + dy, 1 + dx:n - 1 + dx]
                lowest &= inner <= neighbour if (dy, dx) < (0, 0) else inner < neighbour
    return P[1:-1, 1:-1][lowest], F


MINIMA_CASES = {
    "x**2/3 + 3*sin(x + y)": 1,
    "(x**2 + y**2)/2 + sin(4*x)**2": 7,                    # basins_and_walls
    "x**4 - 2*x**2 + y**2 + 0.3*x": 2,                     # a double well, tilted
    "sin(2*x) * cos(2*y) + (x**2 + y**2)/8": None,         # an egg crate in a bowl
    "x**2 - y**2": 0,                                      # a saddle: no minimum
    "(x**2 + y**2)/3 + 3*sin(x + y)": 2,                   # symmetric: its minima on x = y
}


@pytest.mark.parametrize("text", list(MINIMA_CASES))
def test_minima_match_a_brute_force_grid(text):
    s = surfaces.from_formula(text)
    n = 1201
    spacing = 6 / (n - 1)
    candidates, F = brute_force_minima(s, n)
    if MINIMA_CASES[text] is not None:
        assert len(s.minima) == MINIMA_CASES[text]
    # every listed minimum is a minimum: gradient zero, Hessian positive definite
    if len(s.minima):
        assert np.all(np.linalg.norm(s.grad(s.minima), axis=-1) < 1e-8)
        assert np.all(np.linalg.eigvalsh(s.hessian(s.minima))[:, 0] > 1e-4)
    # the grid's local minima away from the border and the listed ones pair up
    inner = candidates[np.all(np.abs(candidates) < 3 - 5 * spacing, axis=1)]
    assert len(inner) == len(s.minima)
    for q in inner:
        assert np.min(np.linalg.norm(s.minima - q, axis=1)) < 2 * spacing
    # the global minimum is the lowest point of the grid
    if len(s.global_minima):
        assert float(s.f(s.global_minima[0])) <= F.min() + 1e-12
        assert np.all(s.f(s.local_minima) > float(s.f(s.global_minima[0])) + 1e-9)


def test_formula_minima_equal_the_books_hand_written_lists():
    """The seed's formulas typed as strings give the surfaces of optlib.surfaces:
    the same values, gradients and minima (found afresh by the search)."""
    typed = {
        "wobbly": "(x**2 + y**2)/3 + abs(x)*sqrt(abs(x) + 0.1) + 3*sin(x + y) + 3"
                  " + 8*exp(-2*((x + 1)**2 + (y + 2)**2))",
        "hills_and_canyon": "(x**2 + y**2)/3 + 3*exp(-((x + 1)**2 + (y + 2)**2))"
                            " + exp(-(3*(x + 2)**2 + 1.5*(y - 0.5)**2))"
                            " + 3*exp(-(1.5*(x - 1)**2 + 3*(y + 1.5)**2))"
                            " + 1.5*exp(-((x + 1.5)**2 + 3*(y + 0.5)**2))"
                            " + 4*(1 - exp(-(x + y)**2))",
        "two_minimums": "4 - 0.5*exp(-((x + 2.5)**2 + (y + 2.5)**2)) - 3*exp(-(x**2 + y**2))",
    }
    for name, text in typed.items():
        book, mine = surfaces.get(name), surfaces.from_formula(text)
        p = random_points(book.window, 200, seed=4)
        p = p[np.abs(p[:, 0]) > 1e-6]
        np.testing.assert_allclose(mine.f(p), book.f(p), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(mine.grad(p), book.grad(p), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(mine.global_minima, book.global_minima, atol=1e-8)
        assert len(mine.local_minima) == len(book.local_minima)
        for q in book.local_minima:
            assert np.min(np.linalg.norm(mine.local_minima - q, axis=1)) < 1e-8


def test_a_border_lower_than_every_minimum_makes_them_local():
    # a well at (1, 0), but the plane falls lower at the left border
    s = surfaces.from_formula("-exp(-4*((x - 1)**2 + y**2)) + 0.5*x")
    assert len(s.global_minima) == 0 and len(s.local_minima) == 1
    assert s.local_minima[0, 0] == pytest.approx(0.9, abs=0.05)


def test_a_formula_surface_runs_in_optlib():
    import optlib
    s = surfaces.from_formula("(x - 1)**2 + 2*(y + 0.5)**2")
    path = optlib.run(optlib.adam(lr=0.05), s.grad, s.start, 400)
    assert s.nearest_minimum(path[-1], tol=0.05) == 0


# --------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------

def test_signal_formulas_reproduce_the_seed_signals():
    typed = {"spikes": "t % 60 == 0", "rectangles": "2*(t % 40 < 20) - 1",
             "uneven_sawtooth": "(t % 20) / (15*(t > 80) + 5)",
             "saturation": "t % 80 < 40"}
    for name, text in typed.items():
        np.testing.assert_array_equal(signals.from_formula(text, 300), signals.get(name, 300))
    trend = signals.from_formula("sin(t/20)", 300)
    np.testing.assert_allclose(trend, np.sin(np.arange(300) / 20), rtol=1e-13, atol=1e-14)


def test_signal_vocabulary_extras():
    v = signals.from_formula("floor(t / 10) + (3 <= t < 5) + (t != 0) * 0.5 + (t >= 7)", 9)
    expected = [0, 0.5, 0.5, 1.5, 1.5, 0.5, 0.5, 1.5, 1.5]
    np.testing.assert_array_equal(v, expected)
    assert v.dtype == np.float64 and v.shape == (9,)
    np.testing.assert_array_equal(signals.from_formula("t == 0", 3), [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        signals.from_formula("t", 0)


# --------------------------------------------------------------------------
# sympy loads on first use
# --------------------------------------------------------------------------

def test_sympy_loads_only_when_a_formula_is_read():
    probe = """
import json, sys
import optlib
from optlib import surfaces, signals
s = surfaces.wobbly
optlib.run(optlib.adam(lr=0.1), s.grad, s.start, 5)
optlib.respond(optlib.adam(lr=0.1), signals.spikes(50))
before = "sympy" in sys.modules
surfaces.from_formula("x**2 + y**2")
print(json.dumps({"before": before, "after": "sympy" in sys.modules}))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"before": False, "after": True}
