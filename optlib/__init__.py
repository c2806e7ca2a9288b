"""optlib: the small numpy library behind the course book "Neural network optimizers".

Optimizers are factories returning an object with pure ``init`` and ``step``
(see :mod:`optlib.optimizers`); :func:`run` and :func:`respond` drive them.

``import optlib`` needs numpy only: the optimizers, runners, schedules,
signals, surfaces and analysis load with it. The drawing modules
(:mod:`~optlib.plotting`, :mod:`~optlib.animation`, :mod:`~optlib.widgets`),
which bring matplotlib, IPython and ipywidgets, load on first use
(``optlib.plotting``, or ``from optlib import plotting``).
"""
import importlib as _importlib

from .optimizers import (FACTORIES, OPTIMIZERS, VARIANTS, Optimizer, adadelta, adagrad, adam,
                         adam_lp, adamax, adamw, amsgrad, momentum, nadam, nesterov, rmsprop,
                         scheduled, sgd)
from .runners import basins, cloud_starts, grid_starts, respond, run, run_many, run_with_states
from . import analysis, schedules, signals, surfaces

#: Modules imported on first access (PEP 562): they need matplotlib and friends.
_LAZY = ("plotting", "animation", "widgets")
#: Loaded on first access too, though numpy-only: the small MLP of chapter 11.
_LAZY += ("nn",)


def __getattr__(name):
    if name in _LAZY:
        module = _importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'optlib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = ["Optimizer", "OPTIMIZERS", "VARIANTS", "FACTORIES", "run", "respond", "sgd",
           "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam",
           "amsgrad", "adamw", "adam_lp",
           "run_with_states", "run_many", "grid_starts", "cloud_starts", "basins",
           "scheduled", "schedules"]
