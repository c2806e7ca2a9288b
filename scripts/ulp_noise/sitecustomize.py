"""Perturb numpy's transcendental functions by one unit in the last place (an audit).

Other CPUs take other SIMD code paths in numpy, and sin, cos, exp, log, tanh and
power may differ there in the last bit. A chapter's printed figures must survive
that. This module, put on PYTHONPATH with ``OPTLIB_ULP_NOISE=1`` set, wraps those
functions so that every result is moved by -1, 0 or +1 ulp at random (a fixed
seed, so an audit run is repeatable): a printed digit that changes under it
would change on some reader's machine. ``scripts/ulp_audit.py`` runs the chapters
this way and lists every output that moved.

Only the functions above are wrapped; sqrt, +, -, *, / are correctly rounded by
IEEE 754 on every CPU, so they need no audit.
"""
import os
import sys

# Python imports the first sitecustomize on sys.path only: pass on to the
# environment's own one, if there is one, so that nothing else changes.
_here = os.path.dirname(os.path.abspath(__file__))
_rest = [p for p in sys.path if os.path.abspath(p or ".") != _here]
try:
    import importlib.machinery
    import importlib.util
    _spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _rest)
    if _spec is not None and _spec.origin and os.path.dirname(_spec.origin) != _here:
        _module = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(_module)
except Exception:  # noqa: BLE001 - an audit helper must not break the interpreter
    pass

if os.environ.get("OPTLIB_ULP_NOISE") == "1":
    import numpy as np

    _SALT = np.uint64(int(os.environ.get("OPTLIB_ULP_SEED", "1")) * 2 + 1)
    _MIX = np.uint64(0x9E3779B97F4A7C15)
    _NAMES = ("sin", "cos", "tan", "exp", "expm1", "log", "log1p", "tanh", "arctan",
              "arctan2", "power", "float_power")

    def _shift(args, shape):
        """-1, 0 or +1 per element, a fixed function of the inputs' bits.

        Another CPU's numpy is a different but deterministic function: the same
        input always gives the same output. So the shift depends on the input
        only, and (N, 2) runs still equal N separate runs.
        """
        key = np.full(shape, _SALT, dtype=np.uint64)
        with np.errstate(all="ignore"):
            for a in args:
                bits = np.broadcast_to(np.asarray(a, dtype=np.float64), shape)
                key = (key ^ bits.view(np.uint64)) * _MIX
            return (key >> np.uint64(61)).astype(np.int64) % 3 - 1

    def _wrap(ufunc):
        def perturbed(*args, **kwargs):
            result = ufunc(*args, **kwargs)
            arr = np.asarray(result)
            if arr.dtype != np.float64 or arr.size == 0 or kwargs.get("out") is not None:
                return result
            if ufunc.__name__ in ("power", "float_power"):
                exponent = np.asarray(args[1], dtype=float)
                if np.all(exponent == np.round(exponent)):
                    return result          # integer powers are products, exact enough
            shift = _shift(args[:ufunc.nin], arr.shape)
            with np.errstate(all="ignore"):
                moved = np.where(shift > 0, np.nextafter(arr, np.inf),
                                 np.where(shift < 0, np.nextafter(arr, -np.inf), arr))
            # every implementation gets the exact cases right: sin(0) = 0, exp(0) = 1, ...
            exact = ~np.isfinite(arr) | (arr == 0) | (np.abs(arr) == 1)
            moved = np.where(exact, arr, moved)
            return moved[()] if np.ndim(result) == 0 else moved

        perturbed.__name__ = ufunc.__name__
        perturbed.__doc__ = ufunc.__doc__
        for attr in ("reduce", "accumulate", "outer", "nin", "nout"):
            setattr(perturbed, attr, getattr(ufunc, attr))
        perturbed.__wrapped__ = ufunc
        return perturbed

    for _name in _NAMES:
        setattr(np, _name, _wrap(getattr(np, _name)))
