r"""Formulas typed by a reader, read safely: your own surfaces and signals.

:func:`optlib.surfaces.from_formula` and :func:`optlib.signals.from_formula`
turn a string such as ``"x**2/3 + 3*sin(x + y)"`` or ``"sin(t/20) + (t % 60 == 0)"``
into numbers. The string is never given to ``eval``, ``exec``, ``sympify`` or
``parse_expr`` (all of which run Python code). It is parsed by :func:`ast.parse`
into a syntax tree, and :func:`expression` walks that tree node by node,
accepting only a fixed vocabulary (:data:`SURFACE_VOCABULARY`,
:data:`SIGNAL_VOCABULARY`) and building a sympy expression from it. Anything
else (another name, an attribute, a call of any other function, a lambda, a
list, a conditional) raises ``ValueError`` naming the parameter, the offending
piece and the vocabulary. sympy then gives the exact gradient, and
``sympy.lambdify`` turns the expressions into vectorised numpy functions (the
code it generates is printed from the checked sympy tree, not from the
reader's string).

The minima of a formula surface are found as the book found those of its own
surfaces (``tests/test_surfaces.py``): every point of a grid over the window
lower than its eight neighbours starts Newton's method (Hessian shifted to be
positive definite where it is not, steps shortened until f decreases enough);
a point where the gradient vanishes and the Hessian is positive definite is a
minimum (:func:`find_minima`).

This module imports sympy, which ``import optlib`` does not load: it is
imported the first time a formula is read.
"""
from __future__ import annotations

import ast
import math

import numpy as np
import sympy

__all__ = ["SURFACE_VOCABULARY", "SIGNAL_VOCABULARY", "MAX_LENGTH", "MIN_FINITE_SHARE",
           "expression", "surface_functions", "signal_values", "find_minima", "vocabulary"]

#: The longest formula accepted, in characters.
MAX_LENGTH = 400

#: The most powers nested in one another (x**x**x**...): sympy's exact gradient of a
#: tower grows fast (130 levels take it half a minute); the book's surfaces nest 2.
MAX_POWERS = 10

#: Numbers larger than this in magnitude are refused (1e300 and friends overflow at once).
MAX_NUMBER = 1e15

#: A surface must be finite on at least this share of a grid over its window.
MIN_FINITE_SHARE = 0.9

_FUNCTIONS = {"sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "exp": sympy.exp,
              "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs, "tanh": sympy.tanh}
_CONSTANTS = {"pi": sympy.pi, "e": sympy.E}
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARISONS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
                ast.NotEq: "!="}

#: What a surface formula may use.
SURFACE_VOCABULARY = {
    "variables": ("x", "y"),
    "operators": tuple(_OPERATORS.values()),
    "functions": tuple(_FUNCTIONS),
    "constants": tuple(_CONSTANTS),
    "comparisons": (),
    "constant": "a surface needs a slope to follow",
}

#: What a signal formula may use: the step t, and also %, floor and comparisons
#: (worth 1 where true, 0 elsewhere), as the seed article's own signals do.
SIGNAL_VOCABULARY = {
    "variables": ("t",),
    "operators": tuple(_OPERATORS.values()) + ("%",),
    "functions": tuple(_FUNCTIONS) + ("floor",),
    "constants": tuple(_CONSTANTS),
    "comparisons": tuple(_COMPARISONS.values()),
    "constant": "a signal must change with the step t",
}

# What a reader may have meant, for the nodes refused (named in the message).
_NODE_NAMES = {
    ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.List: "a list",
    ast.Tuple: "a tuple (a comma)", ast.Set: "a set", ast.Dict: "a dict",
    ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression",
    ast.IfExp: "a conditional expression (... if ... else ...)", ast.Subscript: "indexing [...]",
    ast.Starred: "unpacking (*)", ast.BoolOp: "and / or", ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "an f-string", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Slice: "a slice",
}
_OPERATOR_HINTS = {ast.BitXor: "'^' (write x**2 for a power)", ast.FloorDiv: "'//'",
                   ast.Mod: "'%'", ast.MatMult: "'@'", ast.BitAnd: "'&'", ast.BitOr: "'|'",
                   ast.LShift: "'<<'", ast.RShift: "'>>'", ast.Not: "'not'",
                   ast.Invert: "'~'"}


def vocabulary(vocab: dict) -> str:
    """The vocabulary in words, for error messages and help texts.

    >>> vocabulary(SURFACE_VOCABULARY)
    'the variables x, y; numbers; the operators + - * / ** and parentheses; the functions sin, cos, tan, exp, log, sqrt, abs, tanh; the constants pi, e'
    """
    parts = [f"the variable{'s' if len(vocab['variables']) > 1 else ''} "
             f"{', '.join(vocab['variables'])}", "numbers",
             f"the operators {' '.join(vocab['operators'])} and parentheses",
             f"the functions {', '.join(vocab['functions'])}",
             f"the constants {', '.join(vocab['constants'])}"]
    if vocab["comparisons"]:
        parts.append(f"the comparisons {' '.join(vocab['comparisons'])} "
                     f"(worth 1 where true, 0 elsewhere)")
    return "; ".join(parts)


class _Refused(Exception):
    """A piece of the formula outside the vocabulary (turned into ValueError)."""


def _symbols(vocab):
    return {name: sympy.Symbol(name, real=True) for name in vocab["variables"]}


def expression(text, vocab: dict = SURFACE_VOCABULARY, *, parameter: str = "formula"):
    """The sympy expression of ``text``, read with the vocabulary ``vocab`` only.

    Raises ValueError naming ``parameter``, what is wrong and what is allowed.
    The expression depends on at least one of the vocabulary's variables.

    >>> expression("x**2/3 + 3*sin(x + y)")
    x**2/3 + 3*sin(x + y)
    >>> expression("x.real")
    Traceback (most recent call last):
    ...
    ValueError: formula 'x.real' uses attribute access, which is not allowed; a formula may use the variables x, y; numbers; the operators + - * / ** and parentheses; the functions sin, cos, tan, exp, log, sqrt, abs, tanh; the constants pi, e
    """
    allowed = vocabulary(vocab)

    def refuse(what):
        raise ValueError(f"{parameter} {shown!r} {what}; a {parameter} may use {allowed}")

    if not isinstance(text, str):
        raise ValueError(f"{parameter} must be a string such as 'x**2 + sin(y)', "
                         f"got {type(text).__name__} {text!r}"[:300])
    shown = text if len(text) <= 60 else text[:57] + "..."
    if len(text) > MAX_LENGTH:
        refuse(f"is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
    if not text.strip():
        refuse("is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at character {error.offset}" if error.offset else ""
        refuse(f"is not a valid expression ({error.msg}{where})")
    except (RecursionError, MemoryError, ValueError):
        refuse("is nested too deeply to be read")
    symbols = _symbols(vocab)
    try:
        powers = _powers(tree.body)
    except RecursionError:
        refuse("is nested too deeply to be read")
    if powers > MAX_POWERS:
        refuse(f"nests {powers} powers in one another (x**x**...); at most {MAX_POWERS} are "
               f"accepted (the exact gradient of a taller tower takes too long)")
    try:
        expr = _walk(tree.body, vocab, symbols)
    except _Refused as error:
        refuse(str(error))
    except RecursionError:
        refuse("is nested too deeply to be read")
    except (ArithmeticError, TypeError, ValueError) as error:      # sympy: 1 % 0, ...
        refuse(f"cannot be computed ({type(error).__name__}: {error})")
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        refuse("is infinite or undefined as written (a division by zero?)")
    if expr.has(sympy.I):
        refuse("takes complex values")
    variables = [name for name, s in symbols.items() if expr.has(s)]
    if not variables:
        names = " or ".join(vocab["variables"])
        refuse(f"does not depend on {names} (it is the constant {expr}); "
               f"{vocab['constant']}")
    return expr


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Refused(f"uses {value!r}, which is not a number")
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise _Refused(f"uses the number {value!r}; numbers must be at most {MAX_NUMBER:g} "
                       f"in size")
    if isinstance(value, int):
        return sympy.Integer(value)
    return sympy.Rational(value) if float(value).is_integer() else sympy.Float(value)


def _power(base, exponent):
    """base ** exponent, refusing a power of numbers too large to compute exactly."""
    if base.is_number and exponent.is_number:
        try:
            value = complex(sympy.N(base)) ** complex(sympy.N(exponent)) \
                if abs(float(sympy.N(exponent))) < 1e4 else math.inf
        except (OverflowError, ZeroDivisionError, TypeError, ValueError):
            value = math.inf
        if not np.isfinite(value) or abs(value) > MAX_NUMBER:
            raise _Refused(f"computes the number {base}**{exponent}, larger than "
                           f"{MAX_NUMBER:g} or undefined")
    return sympy.Pow(base, exponent)


def _powers(node) -> int:
    """The most ``**`` nested in one another at or below ``node``."""
    below = max(map(_powers, ast.iter_child_nodes(node)), default=0)
    return below + (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow))


def _walk(node, vocab, symbols):
    """The sympy expression of one node of the syntax tree (recursively)."""
    if isinstance(node, ast.Constant):
        return _number(node.value)
    if isinstance(node, ast.Name):
        if node.id in symbols:
            return symbols[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in vocab["functions"]:
            raise _Refused(f"uses the function {node.id} without an argument "
                           f"(write {node.id}(...))")
        raise _Refused(f"uses the name {node.id!r}, which is not allowed")
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return -_walk(node.operand, vocab, symbols)
        if isinstance(node.op, ast.UAdd):
            return _walk(node.operand, vocab, symbols)
        raise _Refused(f"uses the operator {_OPERATOR_HINTS.get(type(node.op), '?')}, "
                       f"which is not allowed")
    if isinstance(node, ast.BinOp):
        op = type(node.op)
        if op in _OPERATORS or (op is ast.Mod and "%" in vocab["operators"]):
            left = _walk(node.left, vocab, symbols)
            right = _walk(node.right, vocab, symbols)
            if op is ast.Add:
                return left + right
            if op is ast.Sub:
                return left - right
            if op is ast.Mult:
                return left * right
            if op is ast.Div:
                return left / right
            if op is ast.Mod:
                return sympy.Mod(left, right)
            return _power(left, right)
        raise _Refused(f"uses the operator {_OPERATOR_HINTS.get(op, op.__name__)}, "
                       f"which is not allowed")
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            what = _NODE_NAMES.get(type(func), type(func).__name__)
            raise _Refused(f"calls something that is not a function name ({what})")
        if func.id not in vocab["functions"]:
            raise _Refused(f"calls {func.id}(), which is not one of the functions allowed")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            given = ("a keyword argument" if node.keywords else "an unpacked argument"
                     if node.args and isinstance(node.args[0], ast.Starred)
                     else f"{len(node.args)} arguments")
            raise _Refused(f"calls {func.id}() with {given}; it takes exactly one argument")
        arg = _walk(node.args[0], vocab, symbols)
        return sympy.floor(arg) if func.id == "floor" else _FUNCTIONS[func.id](arg)
    if isinstance(node, ast.Compare):
        if not vocab["comparisons"]:
            raise _Refused("uses a comparison, which is not allowed here")
        sides = [_walk(node.left, vocab, symbols)]
        sides += [_walk(c, vocab, symbols) for c in node.comparators]
        conditions = []
        for op, a, b in zip(node.ops, sides, sides[1:]):
            if type(op) not in _COMPARISONS:
                raise _Refused(f"uses the comparison {type(op).__name__}, which is not allowed")
            relation = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt,
                        ast.GtE: sympy.Ge, ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne}[type(op)]
            conditions.append(relation(a, b, evaluate=False))
        return sympy.Piecewise((sympy.Integer(1), sympy.And(*conditions)),
                               (sympy.Integer(0), True))
    what = _NODE_NAMES.get(type(node), f"a {type(node).__name__} expression")
    raise _Refused(f"uses {what}, which is not allowed")


def _numpy_function(args, expr):
    """A vectorised numpy function of ``args`` computing ``expr``."""
    return sympy.lambdify(args, expr, modules="numpy")


def surface_functions(text, *, parameter: str = "formula"):
    """``(expr, f, df_dx, df_dy)``: the expression of ``text`` in x and y and numpy
    functions of two arrays for f and its two partial derivatives (exact, by sympy)."""
    expr = expression(text, SURFACE_VOCABULARY, parameter=parameter)
    x, y = _symbols(SURFACE_VOCABULARY).values()
    return (expr, _numpy_function((x, y), expr), _numpy_function((x, y), sympy.diff(expr, x)),
            _numpy_function((x, y), sympy.diff(expr, y)))


def signal_values(text, n: int, *, parameter: str = "formula") -> np.ndarray:
    """The values of ``text`` at the steps t = 0, 1, ..., n-1 (floats); every one must be finite."""
    expr = expression(text, SIGNAL_VOCABULARY, parameter=parameter)
    t = np.arange(int(n), dtype=float)
    function = _numpy_function((_symbols(SIGNAL_VOCABULARY)["t"],), expr)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(function(t)), t.shape)
    if np.iscomplexobj(values):
        raise ValueError(f"{parameter} {text!r} takes complex values; a {parameter} may use "
                         f"{vocabulary(SIGNAL_VOCABULARY)}")
    values = np.array(values, dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ValueError(f"{parameter} {text!r} is not finite at step t = {bad[0]} "
                         f"({len(bad)} of the {len(t)} steps); a gradient signal must be "
                         f"finite at every step")
    return values


def grid(window, n: int) -> np.ndarray:
    """An n x n grid of points over ``window``, shape (n, n, 2)."""
    (x0, x1), (y0, y1) = window
    return np.stack(np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n)), axis=-1)


def _grid_candidates(surface, n):
    """Interior points of an n x n grid over the window lower than their 8 neighbours.

    A tie between neighbours goes to the later one (in reading order), so a
    minimum between two grid points of equal value (a surface symmetric in
    x and y, with its minimum on the diagonal) still has a candidate.
    """
    P = grid(surface.window, n)
    with np.errstate(all="ignore"):
        F = surface.f(P)
    F = np.where(np.isfinite(F), F, np.inf)
    inner = F[1:-1, 1:-1]
    lowest = np.isfinite(inner)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                neighbour = F[1 + dy:n - 1 + dy, 1 + dx:n - 1 + dx]
                earlier = dy < 0 or (dy == 0 and dx < 0)
                lowest &= (inner <= neighbour) if earlier else (inner < neighbour)
    return P[1:-1, 1:-1][lowest]


def _newton(surface, p, iterations: int = 100):
    """Newton's method, its Hessian shifted to be positive definite where it is not,
    each step shortened until f decreases enough (Armijo backtracking)."""
    p = p.copy()
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            g, H = surface.grad(p), surface.hessian(p)
            ok = np.isfinite(g).all(-1) & np.isfinite(H).all((-1, -2))
            g, H = np.where(ok[:, None], g, 0.0), np.where(ok[:, None, None], H, np.eye(2))
            eig = np.linalg.eigvalsh(H)
            shift = np.maximum(0, 1e-3 * np.abs(eig[:, 1]) - eig[:, 0]) + 1e-12
            d = -np.linalg.solve(H + shift[:, None, None] * np.eye(2), g[..., None])[..., 0]
            f0, slope = surface.f(p), (g * d).sum(-1)
            t, step, found = 1.0, np.zeros(len(p)), np.zeros(len(p), dtype=bool)
            for _ in range(40):
                ok_step = ~found & (surface.f(p + t * d) <= f0 + 1e-4 * t * slope)
                step[ok_step], found = t, found | ok_step
                t /= 2
            moved = step[:, None] * d
            p = p + moved
            if not np.any(np.abs(moved) > 1e-14 * (1 + np.abs(p))):
                break                           # every point has stopped moving
    return p


def find_minima(surface, n: int = 301, tol: float = 1e-7):
    """``(global_minima, local_minima)`` of ``surface`` inside its window, as the book
    found those of its own surfaces.

    Candidates are the points of an ``n`` x ``n`` grid lower than their eight
    neighbours; each is refined by Newton's method (:func:`_newton`). A refined
    point is a minimum if it lies inside the window, the gradient there is
    below ``tol`` (relative to the typical gradient over the window), and the
    Hessian is positive definite (its smallest eigenvalue above 1e-6 of its
    largest). Points closer than 1e-6 are one minimum. The global minima are
    those whose value is the lowest (to 1e-9) and no higher than f anywhere on
    the grid; when the window's border is lower than every minimum inside,
    all of them are local.
    """
    empty = np.zeros((0, 2))
    candidates = _grid_candidates(surface, n)
    if not len(candidates):
        return empty, empty
    found = _newton(surface, candidates)
    with np.errstate(all="ignore"):
        P = grid(surface.window, 101).reshape(-1, 2)
        scale = 1.0 + float(np.nanmedian(np.linalg.norm(surface.grad(P), axis=-1)))
        g = np.linalg.norm(surface.grad(found), axis=-1)
        eig = np.linalg.eigvalsh(surface.hessian(found))
        values = surface.f(found)
    keep = (surface.in_window(found) & (g < tol * scale) & np.isfinite(values)
            & (eig[:, 0] > 1e-6 * np.abs(eig[:, 1])) & (eig[:, 0] > 0))
    found, values = found[keep], values[keep]
    order = np.argsort(values, kind="stable")
    minima, f_min = [], []
    for p, v in zip(found[order], values[order]):
        if all(np.linalg.norm(p - q) > 1e-6 for q in minima):
            minima.append(p)
            f_min.append(v)
    if not minima:
        return empty, empty
    minima, f_min = np.array(minima), np.array(f_min)
    with np.errstate(all="ignore"):
        lowest_on_grid = np.nanmin(np.where(np.isfinite(Z := surface.f(grid(surface.window, n))),
                                            Z, np.nan))
    lowest = f_min[0]
    is_global = f_min <= lowest + 1e-9 * (1 + abs(lowest))
    if lowest > lowest_on_grid + 1e-9 * (1 + abs(lowest)):
        is_global[:] = False            # the border goes lower than every minimum inside
    return minima[is_global], minima[~is_global]
