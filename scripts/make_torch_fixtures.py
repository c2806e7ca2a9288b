"""Record torch.optim's trajectories, the reference optlib's optimizers are tested against.

Makes ``tests/fixtures/torch_trajectories.npz``: for each of the eleven
optimizers of DESIGN.md's table (and the torch options optlib mirrors:
Adagrad's ``initial_accumulator_value`` and ``lr_decay``, RMSprop's
``momentum`` and ``centered``) and each test problem of
``tests/fixtures/problems.py`` (an ill-conditioned rotated quadratic of shape
``(3,)``, Rosenbrock from four start points at once, shape ``(4, 2)``, and a
non-convex sum of sines of shape ``(5,)``), a few hyperparameter settings
(torch's defaults and non-default ones, chosen so that the runs neither diverge
nor stand still, and stay well-conditioned: see ``check_interesting``) are run
for 250 steps of the matching ``torch.optim`` class in float64
(``foreach=False``, the plain single-tensor code path).

The file holds, for run ``i``: ``problem[i]``, ``optimizer[i]`` (the optlib
factory's name), ``hyperparams[i]`` (a JSON object of the keyword arguments
given to the optlib factory, in optlib's names; anything absent is left at its
default), ``x0_{i}`` and ``trajectory_{i}`` (torch's iterates at the steps
listed in ``steps``). To keep the file small, ``steps`` is every step up to 50,
then every 10th step up to 250; an error at any step propagates to the stored
ones after it. Also stored: ``torch_version`` and ``torch_defaults`` (JSON: the
defaults of the torch.optim constructors, in optlib's names, per optlib factory).

Also writes ``tests/fixtures/torch_defaults.json``: torch's version and every
keyword default of the torch.optim classes the book maps (``MAPPED_CLASSES``),
under torch's own names, which chapter 12 checks its table against.
``--defaults-only`` writes that file alone (no trajectories).

Nesterov: torch's ``SGD(nesterov=True)`` iterates the look-ahead points
``y_t = x_t - gamma v_t`` of optlib's form; the stored trajectory is torch's
(the ``y_t``), and the test compares optlib through that identity.

Regenerate (needs torch, which is not a dependency of the book)::

    make fixtures                      # installs torch into .venv, then runs this script
    # or, with torch (and numpy) in another environment:
    /path/to/python-with-torch scripts/make_torch_fixtures.py

and commit the new ``.npz`` together with any change to this script or to
``tests/fixtures/problems.py``.
"""
from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
OUTPUT = FIXTURES / "torch_trajectories.npz"
#: The constructor defaults of the torch.optim classes the book maps (chapter 12's table).
DEFAULTS_JSON = FIXTURES / "torch_defaults.json"
#: The torch.optim classes the book maps optlib's factories to (DESIGN.md's table).
MAPPED_CLASSES = ("SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam")
STEPS = 250
RECORDED_STEPS = np.r_[0:51, 60:STEPS + 1:10]


def _load_problems():
    spec = importlib.util.spec_from_file_location("fixture_problems", FIXTURES / "problems.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PROBLEMS


PROBLEMS = _load_problems()


# --------------------------------------------------------------------------
# optlib factory and hyperparameters -> torch.optim class and keyword arguments
# --------------------------------------------------------------------------

def torch_optimizer(name: str, hp: dict, params):
    """The torch.optim optimizer that DESIGN.md names as the twin of optlib's ``name(**hp)``."""
    hp = dict(hp)
    kw = {"foreach": False}
    if "lr" in hp:
        kw["lr"] = hp.pop("lr")
    if "eps" in hp:
        kw["eps"] = hp.pop("eps")
    if name in ("adam", "adamax", "nadam", "amsgrad", "adamw") and ({"beta1", "beta2"} & hp.keys()):
        kw["betas"] = (hp.pop("beta1", 0.9), hp.pop("beta2", 0.999))
    if name == "sgd":
        cls = torch.optim.SGD
    elif name in ("momentum", "nesterov"):
        cls = torch.optim.SGD
        kw["momentum"] = hp.pop("gamma")  # explicit in every setting: torch's default is 0
        kw["nesterov"] = name == "nesterov"
    elif name == "adagrad":
        cls = torch.optim.Adagrad
        for key in ("initial_accumulator_value", "lr_decay"):
            if key in hp:
                kw[key] = hp.pop(key)
    elif name == "rmsprop":
        cls = torch.optim.RMSprop
        if "gamma" in hp:
            kw["alpha"] = hp.pop("gamma")
        for key in ("momentum", "centered"):
            if key in hp:
                kw[key] = hp.pop(key)
    elif name == "adadelta":
        cls = torch.optim.Adadelta
        if "gamma" in hp:
            kw["rho"] = hp.pop("gamma")
    elif name == "adam":
        cls = torch.optim.Adam
    elif name == "amsgrad":
        cls = torch.optim.Adam
        kw["amsgrad"] = True
    elif name == "adamax":
        cls = torch.optim.Adamax
    elif name == "nadam":
        cls = torch.optim.NAdam
        if "momentum_decay" in hp:
            kw["momentum_decay"] = hp.pop("momentum_decay")
    elif name == "adamw":
        cls = torch.optim.AdamW
        if "weight_decay" in hp:
            kw["weight_decay"] = hp.pop("weight_decay")
    else:
        raise KeyError(name)
    if hp:
        raise KeyError(f"no torch counterpart for {name} options {sorted(hp)}")
    return cls(params, **kw)


def torch_defaults() -> dict:
    """torch.optim's constructor defaults, in optlib's names, for each optlib factory."""
    def defaults(cls, **rename):
        sig = inspect.signature(cls.__init__).parameters
        out = {}
        for torch_name, optlib_name in rename.items():
            value = sig[torch_name].default
            if torch_name == "betas":
                out["beta1"], out["beta2"] = (float(b) for b in value)
            else:
                out[optlib_name] = float(value)
        return out

    adam_like = dict(lr="lr", betas="betas", eps="eps")
    return {
        "sgd": defaults(torch.optim.SGD, lr="lr"),
        "momentum": defaults(torch.optim.SGD, lr="lr"),
        "nesterov": defaults(torch.optim.SGD, lr="lr"),
        "adagrad": defaults(torch.optim.Adagrad, lr="lr", eps="eps", lr_decay="lr_decay",
                            initial_accumulator_value="initial_accumulator_value"),
        "rmsprop": defaults(torch.optim.RMSprop, lr="lr", alpha="gamma", eps="eps",
                            momentum="momentum", centered="centered"),
        "adadelta": defaults(torch.optim.Adadelta, lr="lr", rho="gamma", eps="eps"),
        "adam": defaults(torch.optim.Adam, **adam_like),
        "amsgrad": defaults(torch.optim.Adam, **adam_like),
        "adamax": defaults(torch.optim.Adamax, **adam_like),
        "nadam": defaults(torch.optim.NAdam, **adam_like, momentum_decay="momentum_decay"),
        "adamw": defaults(torch.optim.AdamW, **adam_like, weight_decay="weight_decay"),
    }


# --------------------------------------------------------------------------
# Hyperparameter settings: {} is torch's defaults (where they suit the problem).
# --------------------------------------------------------------------------

SETTINGS = {
    # L = 100, mu = 1: gradient descent is stable for lr < 0.02
    "quadratic": {
        "sgd": [{}, {"lr": 0.01}, {"lr": 0.019}],
        "momentum": [{"gamma": 0.9}, {"lr": 0.005, "gamma": 0.5}, {"lr": 0.002, "gamma": 0.95}],
        "nesterov": [{"gamma": 0.9}, {"lr": 0.005, "gamma": 0.5}, {"lr": 0.002, "gamma": 0.95}],
        "adagrad": [{}, {"lr": 0.5}, {"lr": 0.1, "eps": 1e-3},
                    {"lr": 0.5, "initial_accumulator_value": 0.1, "lr_decay": 0.01}],
        "rmsprop": [{}, {"lr": 0.001, "gamma": 0.9}, {"lr": 0.01, "gamma": 0.95, "eps": 1e-4},
                    {"lr": 0.001, "gamma": 0.9, "momentum": 0.5},
                    {"lr": 0.001, "gamma": 0.9, "centered": True},
                    {"lr": 0.0005, "gamma": 0.95, "momentum": 0.8, "centered": True}],
        "adadelta": [{}, {"lr": 0.5, "gamma": 0.95}, {"gamma": 0.95, "eps": 1e-4}],
        "adam": [{}, {"lr": 0.05}, {"lr": 0.05, "beta1": 0.5, "beta2": 0.99, "eps": 1e-6}],
        "adamax": [{}, {"lr": 0.05, "beta2": 0.99}, {"lr": 0.1, "beta1": 0.8, "eps": 1e-4}],
        "nadam": [{}, {"lr": 0.05, "momentum_decay": 0.0},
                  {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "momentum_decay": 0.01}],
        "amsgrad": [{}, {"lr": 0.05}, {"lr": 0.1, "beta1": 0.5, "beta2": 0.9}],
        "adamw": [{}, {"lr": 0.05, "weight_decay": 0.1},
                  {"lr": 0.1, "beta2": 0.99, "weight_decay": 0.3}],
    },
    # curvature up to about 2100 at (1.5, 1.5): gradient descent needs lr < 1e-3
    "rosenbrock": {
        "sgd": [{"lr": 2e-4}, {"lr": 8e-4}],
        "momentum": [{"lr": 1e-4, "gamma": 0.9}, {"lr": 3e-4, "gamma": 0.5}],
        "nesterov": [{"lr": 1e-4, "gamma": 0.9}, {"lr": 3e-4, "gamma": 0.5}],
        "adagrad": [{}, {"lr": 0.03, "eps": 1e-3}, {"lr": 0.05, "initial_accumulator_value": 1.0}],
        "rmsprop": [{"lr": 3e-4, "gamma": 0.999}, {"lr": 1e-3, "gamma": 0.999},
                    {"lr": 1e-4, "gamma": 0.999, "momentum": 0.9},
                    {"lr": 3e-4, "gamma": 0.999, "centered": True}],
        "adadelta": [{"lr": 0.5}, {"lr": 0.1, "gamma": 0.95, "eps": 1e-5}],
        "adam": [{}, {"lr": 0.005, "beta1": 0.8, "beta2": 0.99}],
        "adamax": [{}, {"lr": 0.01, "beta2": 0.995}],
        "nadam": [{}, {"lr": 0.01, "momentum_decay": 0.1}],
        "amsgrad": [{}, {"lr": 0.02, "beta2": 0.9}],
        "adamw": [{}, {"lr": 0.02, "weight_decay": 0.5}],
    },
    # non-convex, curvature below about 7; small steps so that the runs are still moving at the end
    "sines": {
        "sgd": [{"lr": 0.01}, {"lr": 0.03}],
        "momentum": [{"lr": 0.002, "gamma": 0.9}, {"lr": 0.01, "gamma": 0.3}],
        "nesterov": [{"lr": 0.002, "gamma": 0.9}, {"lr": 0.01, "gamma": 0.3}],
        "adagrad": [{"lr": 0.05}, {"lr": 0.2, "eps": 0.1}, {"lr": 0.1, "lr_decay": 0.05}],
        "rmsprop": [{"lr": 3e-4}, {"lr": 1e-3, "gamma": 0.999},
                    {"lr": 3e-4, "momentum": 0.5, "centered": True}],
        "adadelta": [{"lr": 0.3}, {"lr": 1.0, "gamma": 0.95, "eps": 1e-4}],
        "adam": [{"lr": 0.005}, {"lr": 0.01, "beta1": 0.95, "beta2": 0.99, "eps": 1e-3}],
        "adamax": [{"lr": 0.005}, {"lr": 0.01, "beta1": 0.5, "beta2": 0.999}],
        "nadam": [{"lr": 0.001}, {"lr": 0.002, "beta1": 0.95, "momentum_decay": 0.1}],
        "amsgrad": [{"lr": 0.005}, {"lr": 0.01, "beta1": 0.5, "beta2": 0.9}],
        "adamw": [{"lr": 0.005}, {"lr": 0.01, "beta1": 0.95, "weight_decay": 0.3}],
    },
}


def check_gradients():
    """The analytic gradients written in problems.py agree with torch's autograd."""
    rng = np.random.default_rng(0)
    for name, (f, grad, x0) in PROBLEMS.items():
        for x in (x0, x0 + rng.normal(size=x0.shape)):
            p = torch.tensor(x, requires_grad=True)
            f(p, torch).backward()
            analytic_torch = grad(torch.tensor(x), torch).numpy()
            analytic_numpy = grad(x, np)
            np.testing.assert_allclose(analytic_torch, p.grad.numpy(), rtol=1e-13, atol=1e-12,
                                       err_msg=f"{name}: gradient formula is not f's gradient")
            np.testing.assert_allclose(analytic_numpy, analytic_torch, rtol=1e-15, atol=1e-15,
                                       err_msg=f"{name}: numpy and torch disagree")


def torch_trajectory(problem: str, name: str, hp: dict, noise: float = 0.0) -> np.ndarray:
    """torch's iterates; ``noise`` > 0 perturbs each gradient by that relative amount."""
    _, grad, x0 = PROBLEMS[problem]
    p = torch.tensor(x0, dtype=torch.float64)
    opt = torch_optimizer(name, hp, [p])
    gen = torch.Generator().manual_seed(0)
    path = [p.detach().clone().numpy()]
    for _ in range(STEPS):
        g = grad(p.detach(), torch)
        if noise:
            g = g * (1 + noise * torch.randn(g.shape, generator=gen))
        p.grad = g
        opt.step()
        path.append(p.detach().clone().numpy())
    return np.array(path)


def check_interesting(problem, name, hp, path):
    """A run worth comparing: finite, not stuck at x0, lowering the loss, well-conditioned.

    Well-conditioned: perturbing every gradient by a relative 1e-15 (what a
    different but equally exact order of floating-point operations does) moves
    the trajectory by at most 1e-13. Sign-like methods (RMSProp, Adadelta, Nadam,
    Adam with a short memory) become chaotic once a coordinate bounces around its
    minimum; there rounding differences grow to the size of the step, and no two
    correct implementations agree to 1e-12, so such settings are not used.
    """
    f = PROBLEMS[problem][0]
    where = f"{problem} {name} {hp}"
    noisy = torch_trajectory(problem, name, hp, noise=1e-15)
    sensitivity = np.abs(noisy - path).max()
    assert sensitivity <= 1e-13, f"{where} is ill-conditioned (sensitivity {sensitivity:.1e})"
    assert np.isfinite(path).all(), f"{where} diverged"
    assert np.abs(path[-1] - path[0]).max() > 0.05, f"{where} barely moves"
    assert f(path[-1], np) < f(path[0], np), f"{where} does not lower the loss"


def torch_class_defaults() -> dict:
    """Every keyword default of each mapped torch.optim class, under torch's own names.

    From ``inspect.signature`` of the constructor, without ``params``; tuples
    (``betas``) become lists, and ``None`` (``foreach``, ``fused``) stays ``None``.
    """
    out = {}
    for name in MAPPED_CLASSES:
        sig = inspect.signature(getattr(torch.optim, name).__init__).parameters
        out[name] = {k: (list(p.default) if isinstance(p.default, tuple) else p.default)
                     for k, p in sig.items()
                     if k not in ("self", "params") and p.default is not inspect.Parameter.empty}
    return out


def write_defaults_json():
    """Write ``tests/fixtures/torch_defaults.json``: torch's version and its classes' defaults."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    payload = {"torch_version": torch.__version__, "classes": torch_class_defaults()}
    DEFAULTS_JSON.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"wrote the defaults of {len(payload['classes'])} torch.optim classes "
          f"(torch {torch.__version__}) to {DEFAULTS_JSON.relative_to(ROOT)}")


def main():
    torch.set_default_dtype(torch.float64)  # also torch's step counters and NAdam's mu_product
    check_gradients()
    meta = {"problem": [], "optimizer": [], "hyperparams": []}
    arrays = {}
    for problem, table in SETTINGS.items():
        for name, settings in table.items():
            for hp in settings:
                path = torch_trajectory(problem, name, hp)
                check_interesting(problem, name, hp, path)
                i = len(meta["problem"])
                meta["problem"].append(problem)
                meta["optimizer"].append(name)
                meta["hyperparams"].append(json.dumps(hp, sort_keys=True))
                arrays[f"x0_{i}"] = path[0]
                arrays[f"trajectory_{i}"] = path[RECORDED_STEPS]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUTPUT, torch_version=np.str_(torch.__version__), steps=RECORDED_STEPS,
        torch_defaults=np.str_(json.dumps(torch_defaults(), sort_keys=True)),
        **{k: np.array(v, dtype=np.str_) for k, v in meta.items()}, **arrays)
    print(f"wrote {len(meta['problem'])} trajectories of {STEPS} steps (torch {torch.__version__}) "
          f"to {OUTPUT.relative_to(ROOT)}, {OUTPUT.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    import sys
    if "--defaults-only" not in sys.argv[1:]:   # --defaults-only: the JSON alone
        main()
    write_defaults_json()
