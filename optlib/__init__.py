"""optlib: the small numpy library behind the course book "Neural network optimizers".

Optimizers are factories returning an object with pure ``init`` and ``step``
(see :mod:`optlib.optimizers`); :func:`run` and :func:`respond` drive them.
"""
from .optimizers import (FACTORIES, OPTIMIZERS, VARIANTS, Optimizer, adadelta, adagrad, adam,
                         adam_lp, adamax, adamw, amsgrad, momentum, nadam, nesterov, rmsprop,
                         scheduled, sgd)
from .runners import basins, cloud_starts, grid_starts, respond, run, run_many, run_with_states
from . import analysis, animation, plotting, schedules, signals, surfaces, widgets

__version__ = "0.1.0"

__all__ = ["Optimizer", "OPTIMIZERS", "VARIANTS", "FACTORIES", "run", "respond", "sgd",
           "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam",
           "amsgrad", "adamw", "adam_lp",
           "run_with_states", "run_many", "grid_starts", "cloud_starts", "basins",
           "scheduled", "schedules"]
