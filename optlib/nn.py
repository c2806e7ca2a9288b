r"""A small multilayer perceptron in numpy, trained by optlib's optimizers.

Chapter 11 trains it on scikit-learn's handwritten digits. The network is a
stack of affine layers with a nonlinearity between them and a softmax at the
end; all its weights and biases live in one flat vector :math:`x`, so
that an optimizer steps it like any other parameter array::

    net = nn.mlp([64, 32, 10])                  # 64 inputs, 32 hidden units, 10 classes
    x = net.init(seed=0)                    # shape (net.n_params,)
    loss, g = net.loss_and_grad(x, X, y)    # g shaped like x (backpropagation)

Notation (as in the chapter): layer :math:`\ell` maps its input
:math:`\mathsf{h}_{\ell-1}` to :math:`\mathsf{h}_\ell = \sigma(\mathsf{h}_{\ell-1}
\mathsf{W}_\ell + \mathsf{b}_\ell)`, with :math:`\mathsf{h}_0` the input and no
:math:`\sigma` after the last layer, whose outputs are the logits. The loss is
the mean softmax cross-entropy over the examples.

**Many networks at once.** ``x`` may have leading batch dimensions,
``(..., n_params)``: each row is one network, and ``X`` (shape
``(..., n, inputs)``) and ``y`` (shape ``(..., n)``) broadcast against them.
Losses come back with shape ``x.shape[:-1]``, gradients shaped like
``x``. A batch gives exactly what separate calls give, up to the
summation order of the matrix products.

:func:`train` trains a list of optimizers (any methods, any learning rates),
each on networks started from several seeds, with one batched gradient per
step for all of them; :func:`digits` loads the data set and splits it.

``import optlib.nn`` needs numpy only; :func:`digits` imports scikit-learn
and ``train(..., progress=True)`` imports tqdm, when called.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, NamedTuple, Sequence

import numpy as np

from .optimizers import Optimizer, _choice, _count, _flag

__all__ = ["MLP", "mlp", "train", "TrainResult", "select_lr", "steps_to", "digits", "Split",
           "ACTIVATIONS"]

#: The nonlinearities :func:`mlp` accepts, with their derivatives written in
#: terms of the activation's output (``a = f(z)``) where that is possible.
ACTIVATIONS = ("tanh", "relu")


def _forward_act(name: str, z: np.ndarray) -> np.ndarray:
    return np.tanh(z) if name == "tanh" else np.maximum(z, 0.0)


def _backward_act(name: str, a: np.ndarray) -> np.ndarray:
    """The derivative of the activation at its input, from its output ``a``."""
    return 1.0 - a * a if name == "tanh" else a > 0



class MLP:
    """A multilayer perceptron with layer sizes ``sizes``; build one with :func:`mlp`.

    The flat parameter vector holds, layer by layer, the weight matrix
    :math:`\\mathsf{W}_\\ell` (shape ``(sizes[l-1], sizes[l])``, row-major) and
    then the bias :math:`\\mathsf{b}_\\ell` (shape ``(sizes[l],)``).
    """

    __slots__ = ("sizes", "activation", "n_params", "_slices")

    def __init__(self, sizes: tuple, activation: str):
        self.sizes = sizes
        self.activation = activation
        slices, start = [], 0
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            w = slice(start, start + n_in * n_out)
            b = slice(w.stop, w.stop + n_out)
            slices.append((w, b, n_in, n_out))
            start = b.stop
        self._slices = tuple(slices)
        self.n_params = start

    def __repr__(self) -> str:
        return f"mlp({list(self.sizes)!r}, activation={self.activation!r})"

    # ---------------------------------------------------------------- checks

    def _params(self, x: Any) -> np.ndarray:
        t = np.asarray(x)
        if t.dtype.kind not in "fiu":
            raise ValueError(f"x must be a real float array, got dtype {t.dtype}")
        if t.ndim < 1 or t.shape[-1] != self.n_params:
            raise ValueError(
                f"x has shape {t.shape}, but this network has {self.n_params} "
                f"parameters: x must have shape ({self.n_params},) or "
                f"(..., {self.n_params})")
        return t.astype(np.float64, copy=False)

    def _inputs(self, X: Any) -> np.ndarray:
        a = np.asarray(X)
        if a.dtype.kind not in "fiu":
            raise ValueError(f"X must be a real float array, got dtype {a.dtype}")
        if a.ndim < 2 or a.shape[-1] != self.sizes[0]:
            raise ValueError(
                f"X has shape {a.shape}, but the network takes {self.sizes[0]} inputs: "
                f"X must have shape (n, {self.sizes[0]}) or (..., n, {self.sizes[0]})")
        if not np.all(np.isfinite(a)):
            raise ValueError("X must be finite, got nan or inf")
        return a.astype(np.float64, copy=False)

    def _labels(self, y: Any, X: np.ndarray) -> np.ndarray:
        a = np.asarray(y)
        if a.dtype.kind not in "iu":
            raise ValueError(f"y must be integer class labels, got dtype {a.dtype}")
        if a.shape != X.shape[:-1]:
            raise ValueError(
                f"y has shape {a.shape}, but X has shape {X.shape}: y must have one "
                f"label per row of X, shape {X.shape[:-1]}")
        n_classes = self.sizes[-1]
        if a.size and (a.min() < 0 or a.max() >= n_classes):
            raise ValueError(f"y must hold labels in [0, {n_classes - 1}] (one per class), "
                             f"got values from {a.min()} to {a.max()}")
        return a

    def _batch_shape(self, x: np.ndarray, X: np.ndarray) -> tuple:
        try:
            return np.broadcast_shapes(x.shape[:-1], X.shape[:-2])
        except ValueError:
            raise ValueError(
                f"x of shape {x.shape} and X of shape {X.shape} do not broadcast: "
                f"their leading dimensions {x.shape[:-1]} and {X.shape[:-2]} must") \
                from None

    # ---------------------------------------------------------------- the network

    def layers(self, x: Any) -> list:
        """``[(W_1, b_1), (W_2, b_2), ...]``, views into ``x`` (leading dims kept)."""
        t = self._params(x)
        lead = t.shape[:-1]
        return [(t[..., w].reshape(lead + (n_in, n_out)), t[..., b])
                for w, b, n_in, n_out in self._slices]

    def init(self, seed: Any = 0) -> np.ndarray:
        """Glorot-uniform weights (He-uniform for relu), zero biases; one network per seed.

        ``seed`` is an int (shape ``(n_params,)``) or a sequence of ints
        (shape ``(len(seed), n_params)``, row k from ``seed[k]``): the same
        seed always gives the same network.
        """
        if isinstance(seed, (list, tuple, np.ndarray)):
            return np.stack([self.init(s) for s in seed]) if len(seed) else \
                np.empty((0, self.n_params))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0 or a sequence of them, got {seed!r}")
        rng = np.random.default_rng(int(seed))
        x = np.zeros(self.n_params)
        last = len(self._slices) - 1
        for k, (w, b, n_in, n_out) in enumerate(self._slices):
            if self.activation == "relu" and k < last:
                limit = math.sqrt(6.0 / n_in)               # He et al. (2015)
            else:
                limit = math.sqrt(6.0 / (n_in + n_out))     # Glorot and Bengio (2010)
            x[w] = rng.uniform(-limit, limit, n_in * n_out)
        return x

    def _forward(self, t, X):
        """Logits (batch, n, classes) and the layers' inputs [h_0 = X, h_1, ...]."""
        hs = [X]
        layers = self.layers(t)
        for k, (W, b) in enumerate(layers):
            z = np.matmul(hs[-1], W) + b[..., None, :]
            if k < len(layers) - 1:
                hs.append(_forward_act(self.activation, z))
        return z, hs

    def logits(self, x: Any, X: Any) -> np.ndarray:
        """The network's outputs before the softmax, shape ``(..., n, classes)``."""
        t, Xa = self._params(x), self._inputs(X)
        self._batch_shape(t, Xa)
        with np.errstate(all="ignore"):
            return self._forward(t, Xa)[0]

    def predict(self, x: Any, X: Any) -> np.ndarray:
        """The most probable class of each example, shape ``(..., n)``."""
        return self.logits(x, X).argmax(axis=-1)

    def accuracy(self, x: Any, X: Any, y: Any) -> np.ndarray:
        """The fraction of examples classified correctly, shape ``x.shape[:-1]``."""
        Xa = self._inputs(X)
        ya = self._labels(y, Xa)
        out = (self.predict(x, Xa) == ya).mean(axis=-1)
        return out[()] if out.ndim == 0 else out

    @staticmethod
    def _cross_entropy(z, y, want_delta=False):
        """Mean cross-entropy over the examples; with want_delta, also d loss / d z.

        With p = softmax(z): loss = mean(log sum exp z - z_y), and its
        derivative with respect to the logits is (p - one_hot(y)) / n.
        """
        shifted = z - z.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=-1)
        idx = np.broadcast_to(y, z.shape[:-1])[..., None]
        picked = np.take_along_axis(shifted, idx, axis=-1)[..., 0]
        loss = (np.log(total) - picked).mean(axis=-1)
        if not want_delta:
            return loss, None
        one_hot = y[..., None] == np.arange(z.shape[-1])
        return loss, (e / total[..., None] - one_hot) / z.shape[-2]

    def loss(self, x: Any, X: Any, y: Any) -> np.ndarray:
        """Mean softmax cross-entropy, shape ``x.shape[:-1]`` (a float for one network)."""
        t, Xa = self._params(x), self._inputs(X)
        ya = self._labels(y, Xa)
        self._batch_shape(t, Xa)
        with np.errstate(all="ignore"):
            out = self._cross_entropy(self._forward(t, Xa)[0], ya)[0]
        return out[()] if out.ndim == 0 else out

    def loss_and_grad(self, x: Any, X: Any, y: Any):
        """The loss and its gradient with respect to ``x``, by backpropagation.

        Returns ``(loss, grad)``: ``loss`` as :meth:`loss`, ``grad``
        shaped like the broadcast of ``x`` against ``X``'s leading
        dimensions (one gradient per network).
        """
        t, Xa = self._params(x), self._inputs(X)
        ya = self._labels(y, Xa)
        batch = self._batch_shape(t, Xa)
        if Xa.shape[-2] == 0:
            raise ValueError("X must hold at least one example, got 0 rows")
        with np.errstate(all="ignore"):
            z, hs = self._forward(t, Xa)          # hs[k]: input of layer k
            loss, delta = self._cross_entropy(z, ya, want_delta=True)
            grad = np.empty(batch + (self.n_params,))
            layers = self.layers(t)
            for k in range(len(layers) - 1, -1, -1):     # last layer first
                w, b, n_in, n_out = self._slices[k]
                dW = np.matmul(np.swapaxes(hs[k], -1, -2), delta)  # h^T d
                dW = np.broadcast_to(dW, batch + (n_in, n_out))
                grad[..., w] = dW.reshape(batch + (n_in * n_out,))
                db = delta.sum(axis=-2)                 # sum over examples
                grad[..., b] = np.broadcast_to(db, batch + (n_out,))
                if k:                                   # one layer down
                    W = layers[k][0]
                    delta = np.matmul(delta, np.swapaxes(W, -1, -2))
                    delta = delta * _backward_act(self.activation, hs[k])
        return (loss[()] if loss.ndim == 0 else loss), grad

    def grad(self, x: Any, X: Any, y: Any) -> np.ndarray:
        """The gradient of :meth:`loss` with respect to ``x`` (backpropagation)."""
        return self.loss_and_grad(x, X, y)[1]


def mlp(sizes: Sequence[int], activation: str = "tanh") -> MLP:
    """A multilayer perceptron: ``sizes[0]`` inputs, hidden layers, ``sizes[-1]`` classes.

    >>> import numpy as np
    >>> from optlib import nn
    >>> net = nn.mlp([4, 3, 2])
    >>> net.n_params                      # 4*3 + 3 + 3*2 + 2
    23
    >>> x = net.init(seed=0)
    >>> X, y = np.ones((5, 4)), np.array([0, 1, 0, 1, 1])
    >>> loss, g = net.loss_and_grad(x, X, y)
    >>> g.shape
    (23,)
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise ValueError(f"sizes must be a sequence of layer widths such as [64, 32, 10], "
                         f"got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least the inputs and the classes (2 entries), "
                         f"got {list(sizes)!r}")
    widths = tuple(_count(f"sizes[{k}]", s) for k, s in enumerate(sizes))
    if widths[-1] < 2:
        raise ValueError(f"sizes[-1] is the number of classes and must be >= 2, "
                         f"got {widths[-1]}")
    return MLP(widths, _choice("activation", activation, ACTIVATIONS))


# --------------------------------------------------------------------------
# Training many networks at once
# --------------------------------------------------------------------------


class TrainResult(NamedTuple):
    """What :func:`train` records; ``O`` optimizers, ``S`` seeds, ``E`` evaluations.

    ``steps`` (E,): the step counts at which the networks were evaluated
    (0 is the start). ``train_loss`` (O, S, E): at step 0 the loss on the
    whole training set, then the mean of the mini-batch losses of the steps
    since the previous evaluation (each taken before its step), as training
    logs report it. ``val_loss``, ``val_acc`` (O, S, E): loss and accuracy on
    the whole validation set. Losses are nan for a network that diverged.
    ``x`` (O, S, n_params): the final parameters.
    """
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    x: np.ndarray


def _batches(n: int, batch_size: int, steps: int, seed: int) -> np.ndarray:
    """Row indices of the mini-batch of every step: epochs of a shuffled order."""
    rng = np.random.default_rng([int(seed), 1])      # apart from the init's stream
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    order = np.concatenate([rng.permutation(n)[:per_epoch * batch_size]
                            for _ in range(epochs)])
    return order.reshape(-1, batch_size)[:steps]


def train(net: MLP, opts: Sequence[Optimizer], seeds: Sequence[int], data, steps: int,
          batch_size: int = 64, eval_every: int = 10, progress: bool = False) -> TrainResult:
    """Train one network per optimizer and seed, all in one batch; record the curves.

    ``opts`` is a list of optlib optimizers (any methods and learning rates);
    ``seeds`` a list of seeds. Network (o, s) starts from ``net.init(seeds[s])``
    and is trained by ``opts[o]`` for ``steps`` steps, each on a mini-batch of
    ``batch_size`` training examples; the order of the mini-batches depends on
    the seed only, so every optimizer sees the same batches for a given seed.
    ``data`` has ``X_train, y_train, X_val, y_val`` (a :class:`Split`).
    The networks are evaluated on the validation set at step 0 and every
    ``eval_every`` steps (and after the last step); see :class:`TrainResult`.

    All networks share one batched forward and backward pass per step. The
    optimizers decide where to evaluate the gradient (``step`` calls it);
    where one asks for it at another point than its iterate (Nesterov's
    look-ahead), those gradients are computed in a second batched pass.
    Diverging networks do not raise: their losses become nan.

    ``progress=True`` shows a tqdm progress bar (tqdm is imported then).
    """
    if not isinstance(net, MLP):
        raise ValueError(f"net must be an optlib.nn.mlp(...), got {net!r}")
    opts = list(opts)
    if not opts or not all(isinstance(o, Optimizer) for o in opts):
        raise ValueError(f"opts must be a non-empty list of optlib optimizers, got {opts!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must list at least one seed, got none")
    steps = _count("steps", steps)
    batch_size = _count("batch_size", batch_size)
    eval_every = _count("eval_every", eval_every)
    progress = _flag("progress", progress)
    Xtr, Xva = net._inputs(data.X_train), net._inputs(data.X_val)
    ytr, yva = net._labels(data.y_train, Xtr), net._labels(data.y_val, Xva)
    if Xtr.ndim != 2 or Xva.ndim != 2:
        raise ValueError(f"data.X_train and data.X_val must be 2D (n, inputs), got shapes "
                         f"{Xtr.shape} and {Xva.shape}")
    if batch_size > len(Xtr):
        raise ValueError(f"batch_size must be at most the number of training examples "
                         f"({len(Xtr)}), got {batch_size}")
    n_opt, n_seed = len(opts), len(seeds)
    x = np.broadcast_to(net.init(seeds), (n_opt, n_seed, net.n_params)).copy()
    states = [o.init(x[k]) for k, o in enumerate(opts)]
    order = np.stack([_batches(len(Xtr), batch_size, steps, s) for s in seeds], axis=1)
    at = sorted(set(range(0, steps + 1, eval_every)) | {steps})
    record = {k: np.empty((n_opt, n_seed, len(at))) for k in
              ("train_loss", "val_loss", "val_acc")}
    finite = lambda a: np.where(np.isfinite(a), a, np.nan)

    def evaluate(j):
        z = net._forward(x, Xva)[0]               # (opts, seeds, n, classes)
        record["val_loss"][..., j] = finite(net._cross_entropy(z, yva)[0])
        record["val_acc"][..., j] = (z.argmax(axis=-1) == yva).mean(axis=-1)

    try:       # small products: one BLAS thread beats several fighting over the cores
        from threadpoolctl import threadpool_limits
        one_thread = threadpool_limits(limits=1, user_api="blas")
    except ImportError:                               # pragma: no cover
        one_thread = contextlib.nullcontext()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=steps, desc=f"{n_opt * n_seed} networks", unit="step")
    with one_thread, np.errstate(all="ignore"):
        evaluate(0)
        record["train_loss"][..., 0] = finite(
            net._cross_entropy(net._forward(x, Xtr)[0], ytr)[0])
        window = np.zeros((n_opt, n_seed))            # mini-batch losses since the last one
        for t in range(1, steps + 1):
            rows = order[t - 1]                       # (seeds, batch)
            Xb, yb = Xtr[rows], ytr[rows]             # (seeds, batch, inputs), (seeds, batch)
            batch_loss, G = net.loss_and_grad(x, Xb, yb)
            window += batch_loss
            new, asked = [None] * n_opt, {}
            for k, o in enumerate(opts):
                def grad(z, k=k):
                    if np.array_equal(z, x[k], equal_nan=True):
                        return G[k]
                    asked[k] = z                      # another point: second pass
                    return np.zeros_like(z)
                new[k] = o.step(x[k], states[k], grad)
            if asked:                                 # only those networks again
                G2 = net.loss_and_grad(np.stack(list(asked.values())), Xb, yb)[1]
                for j, k in enumerate(asked):
                    new[k] = opts[k].step(x[k], states[k], lambda z, j=j: G2[j])
            for k, (x_new, s_new) in enumerate(new):
                x[k], states[k] = x_new, s_new
            if t in at:
                j = at.index(t)
                evaluate(j)
                record["train_loss"][..., j] = finite(window / (t - at[j - 1]))
                window[:] = 0.0
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return TrainResult(np.array(at), x=x.copy(), **record)


def select_lr(scores: Any, among: Sequence[int] | None = None) -> int:
    """The tuning protocol: the index of the learning rate with the best score.

    ``scores`` has shape ``(n_lr, n_seeds)``, higher is better (a final
    validation accuracy, one column per seed); ``among`` lists the indices
    of the candidate learning rates (default: all of them). The mean over
    the seeds decides; a non-finite score counts as the worst; on a tie the
    first candidate in ``among`` order wins (list them from the smallest lr).

    >>> select_lr([[0.5, 0.7], [0.9, 0.8], [0.9, 0.8]])
    1
    >>> select_lr([[0.5, 0.7], [0.9, 0.8], [0.2, 0.1]], among=[0, 2])
    0
    """
    a = np.asarray(scores, dtype=float)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"scores must have shape (n_lr, n_seeds) with both "
                         f">= 1, got shape {a.shape}")
    idx = list(range(a.shape[0])) if among is None else list(among)
    if not idx or any(isinstance(k, bool)
                      or not isinstance(k, (int, np.integer))
                      or not 0 <= k < a.shape[0] for k in idx):
        raise ValueError(f"among must list indices in [0, {a.shape[0] - 1}], "
                         f"got {among!r}")
    mean = np.where(np.isfinite(a), a, -np.inf).mean(axis=1)
    return int(idx[int(np.argmax(mean[idx]))])


def steps_to(acc: Any, steps: Any, target: float) -> np.ndarray:
    """The first recorded step at which ``acc`` reaches ``target``; -1 where it never does.

    ``acc`` has shape ``(..., E)``, the values at the steps ``steps`` (E,),
    as in :class:`TrainResult`; the answer has shape ``acc.shape[:-1]``.

    >>> steps_to([[0.1, 0.5, 0.95, 0.9], [0.1, 0.2, 0.3, 0.4]], [0, 10, 20, 30], 0.9)
    array([20, -1])
    """
    a = np.asarray(acc, dtype=float)
    st = np.asarray(steps)
    if a.ndim < 1 or st.shape != a.shape[-1:]:
        raise ValueError(f"steps has shape {st.shape}, but acc has shape {a.shape}: steps "
                         f"must give the step of each value along acc's last axis")
    if isinstance(target, bool) or not isinstance(target, (int, float)) \
            or not math.isfinite(target):
        raise ValueError(f"target must be a finite number, got {target!r}")
    reached = a >= target
    first = reached.argmax(axis=-1)
    return np.where(reached.any(axis=-1), st[first], -1)


# --------------------------------------------------------------------------
# The data set
# --------------------------------------------------------------------------


class Split(NamedTuple):
    """A data set split three ways; ``X_*`` of shape (n, inputs), ``y_*`` int labels."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _load_digits():
    """The 1797 images (pixels 0..16) and labels, as ``sklearn.datasets.load_digits``.

    scikit-learn keeps them in ``sklearn/datasets/data/digits.csv.gz`` (64
    pixels and the label per line); reading that file directly skips the
    import of scikit-learn itself (about 2 s of CPU). If the file is not
    where this version of scikit-learn keeps it, ``load_digits`` is called.
    """
    import importlib.util
    import os
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ValueError("digits() needs scikit-learn: pip install scikit-learn")
    path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
    if os.path.exists(path):
        a = np.loadtxt(path, delimiter=",")
        # labels as numpy's index type (int64 here; int32 in the browser's Pyodide, where
        # np.bincount refuses int64)
        return a[:, :-1] / 16.0, a[:, -1].astype(np.intp)
    from sklearn.datasets import load_digits               # pragma: no cover
    d = load_digits()                                       # pragma: no cover
    return d.data / 16.0, d.target.astype(np.intp)          # pragma: no cover


def digits(val: float = 0.2, test: float = 0.2, seed: int = 0) -> Split:
    """scikit-learn's handwritten digits (1797 images of 8 x 8 pixels), split three ways.

    Pixels are scaled from 0..16 to [0, 1]. The split is stratified: each
    class is shuffled with ``seed`` and a fraction ``val`` of it goes to the
    validation set, ``test`` to the test set, the rest to the training set.
    The data ship with scikit-learn (no download); see :func:`_load_digits`.
    """
    for name, v in (("val", val), ("test", test)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise ValueError(f"{name} must be a fraction in (0, 1), got {v!r}")
    if val + test >= 1:
        raise ValueError(f"val + test must be below 1 to leave a training set, "
                         f"got {val} + {test}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    X, y = _load_digits()
    rng = np.random.default_rng(int(seed))
    parts = {"train": [], "val": [], "test": []}
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_val, n_test = round(val * len(idx)), round(test * len(idx))
        parts["val"].append(idx[:n_val])
        parts["test"].append(idx[n_val:n_val + n_test])
        parts["train"].append(idx[n_val + n_test:])
    out = []
    for name in ("train", "val", "test"):
        idx = np.sort(np.concatenate(parts[name]))
        out += [X[idx], y[idx]]
    return Split(*out)
