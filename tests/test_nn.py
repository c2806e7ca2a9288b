"""optlib.nn: the small MLP of chapter 11, its backpropagation, the batched trainer, the data."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import optlib
from optlib import nn


def central_differences(net, x, X, y, coords, h=1e-6):
    out = np.empty(len(coords))
    for j, i in enumerate(coords):
        e = np.zeros_like(x)
        e[i] = h
        out[j] = (net.loss(x + e, X, y) - net.loss(x - e, X, y)) / (2 * h)
    return out


@pytest.fixture(scope="module")
def data():
    return nn.digits()


# ------------------------------------------------------------------ the network


def test_parameter_count_and_layout():
    net = nn.mlp([5, 4, 3, 2])
    assert net.n_params == 5 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2
    x = np.arange(net.n_params, dtype=float)
    (W1, b1), (W2, b2), (W3, b3) = net.layers(x)
    assert W1.shape == (5, 4) and b1.shape == (4,) and W3.shape == (3, 2)
    assert W1[0, 1] == 1 and b1[0] == 20 and W2[0, 0] == 24 and b3[-1] == net.n_params - 1


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_backprop_matches_finite_differences(activation):
    rng = np.random.default_rng(3)
    net = nn.mlp([6, 5, 4, 3], activation=activation)
    X = rng.normal(size=(9, 6))
    y = rng.integers(0, 3, 9)
    for seed in range(3):
        x = net.init(seed) + rng.normal(0, 0.3, net.n_params)   # biases non-zero too
        loss, g = net.loss_and_grad(x, X, y)
        assert g.shape == x.shape and loss == pytest.approx(net.loss(x, X, y), abs=1e-15)
        coords = np.arange(net.n_params)
        fd = central_differences(net, x, X, y, coords)
        assert np.max(np.abs(fd - g)) < 1e-7 * max(1.0, np.abs(g).max()), activation


def test_loss_is_the_mean_cross_entropy_written_out():
    rng = np.random.default_rng(4)
    net = nn.mlp([3, 4, 5])
    x = rng.normal(size=net.n_params)
    X, y = rng.normal(size=(7, 3)), rng.integers(0, 5, 7)
    (W1, b1), (W2, b2) = net.layers(x)
    z = np.tanh(X @ W1 + b1) @ W2 + b2
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert net.loss(x, X, y) == pytest.approx(-np.mean(np.log(p[np.arange(7), y])), rel=1e-12)
    assert np.array_equal(net.predict(x, X), z.argmax(axis=1))
    assert net.accuracy(x, X, y) == pytest.approx(np.mean(z.argmax(axis=1) == y))


def test_zero_network_predicts_uniformly():
    net = nn.mlp([4, 3, 10], activation="relu")
    X, y = np.ones((6, 4)), np.arange(6)
    loss, g = net.loss_and_grad(np.zeros(net.n_params), X, y)
    assert loss == pytest.approx(math.log(10), rel=1e-14)
    (_, gb1), (_, gb2) = net.layers(g)
    # output bias gradient: mean of p - one_hot = 1/10 - (fraction of each class)
    assert np.allclose(gb2, 0.1 - np.bincount(y, minlength=10) / 6)
    assert abs(gb2.sum()) < 1e-15


def test_relu_gradient_is_zero_through_dead_units():
    net = nn.mlp([2, 3, 2], activation="relu")
    x = np.zeros(net.n_params)
    (W1, b1), _ = net.layers(x)
    b1[:] = -5.0          # every hidden unit is off for inputs near 0: no gradient reaches W1
    g = net.grad(x, np.full((4, 2), 0.1), np.array([0, 1, 0, 1]))
    (gW1, gb1), _ = net.layers(g)
    assert np.all(gW1 == 0) and np.all(gb1 == 0)


def test_batches_of_networks_equal_separate_calls():
    rng = np.random.default_rng(5)
    net = nn.mlp([4, 6, 3], activation="relu")
    xs = rng.normal(size=(2, 3, net.n_params))
    Xs, ys = rng.normal(size=(3, 8, 4)), rng.integers(0, 3, (3, 8))
    loss, g = net.loss_and_grad(xs, Xs, ys)            # 2 x 3 networks, X per column
    assert loss.shape == (2, 3) and g.shape == xs.shape
    for i in range(2):
        for j in range(3):
            l1, g1 = net.loss_and_grad(xs[i, j], Xs[j], ys[j])
            assert abs(l1 - loss[i, j]) < 1e-13 and np.abs(g1 - g[i, j]).max() < 1e-13
    shared_loss, shared_g = net.loss_and_grad(xs, Xs[0], ys[0])     # one X for all
    assert np.abs(shared_g[1, 2] - net.grad(xs[1, 2], Xs[0], ys[0])).max() < 1e-13
    assert net.logits(xs, Xs[0]).shape == (2, 3, 8, 3)
    assert net.accuracy(xs, Xs, ys).shape == (2, 3)


def test_init_is_reproducible_and_scaled():
    net = nn.mlp([64, 16, 10], activation="relu")
    a, b = net.init(1), net.init(1)
    assert np.array_equal(a, b) and not np.array_equal(a, net.init(2))
    assert np.array_equal(net.init([1, 2])[0], a)
    (W1, b1), (W2, b2) = net.layers(a)
    assert np.all(b1 == 0) and np.all(b2 == 0)
    assert np.abs(W1).max() <= math.sqrt(6 / 64) and np.abs(W1).max() > 0.9 * math.sqrt(6 / 64)
    assert np.abs(W2).max() <= math.sqrt(6 / 26)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("sizes, word", [([64], "at least"), ([64, 0, 10], "sizes[1]"),
                                          ([4, 3, 1], "classes"), ("64", "sequence"),
                                          ([4, 2.5, 3], "sizes[1]")])
def test_bad_sizes_raise(sizes, word):
    with pytest.raises(ValueError, match=word.replace("[", r"\[").replace("]", r"\]")):
        nn.mlp(sizes)


def test_bad_inputs_raise_naming_the_parameter():
    net = nn.mlp([4, 3, 2])
    x, X, y = net.init(0), np.ones((5, 4)), np.array([0, 1, 0, 1, 1])
    with pytest.raises(ValueError, match="activation"):
        nn.mlp([4, 3, 2], activation="sigmoid")
    with pytest.raises(ValueError, match=r"x has shape \(22,\).*23 parameters"):
        net.loss(x[:-1], X, y)
    with pytest.raises(ValueError, match=r"X has shape \(5, 3\).*4 inputs"):
        net.loss(x, X[:, :3], y)
    with pytest.raises(ValueError, match=r"y has shape \(4,\).*X has shape \(5, 4\)"):
        net.grad(x, X, y[:4])
    with pytest.raises(ValueError, match=r"y must hold labels in \[0, 1\]"):
        net.grad(x, X, np.array([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match="y must be integer"):
        net.loss(x, X, y.astype(float))
    with pytest.raises(ValueError, match="X must be finite"):
        net.loss(x, np.full((5, 4), np.nan), y)
    with pytest.raises(ValueError, match="do not broadcast"):
        net.loss(np.stack([x, x]), np.ones((3, 5, 4)), np.zeros((3, 5), dtype=int))
    with pytest.raises(ValueError, match="seed"):
        net.init(-1)
    with pytest.raises(ValueError, match="at least one example"):
        net.loss_and_grad(x, np.ones((0, 4)), np.zeros(0, dtype=int))


def test_train_and_helpers_reject_bad_arguments(data):
    net = nn.mlp([64, 4, 10])
    with pytest.raises(ValueError, match="batch_size"):
        nn.train(net, [optlib.sgd(lr=0.1)], [0], data, steps=2, batch_size=5000)
    with pytest.raises(ValueError, match="opts"):
        nn.train(net, ["sgd"], [0], data, steps=2)
    with pytest.raises(ValueError, match="steps"):
        nn.train(net, [optlib.sgd(lr=0.1)], [0], data, steps=0)
    with pytest.raises(ValueError, match="seeds"):
        nn.train(net, [optlib.sgd(lr=0.1)], [], data, steps=2)
    with pytest.raises(ValueError, match="net"):
        nn.train("mlp", [optlib.sgd(lr=0.1)], [0], data, steps=2)
    with pytest.raises(ValueError, match="val \\+ test"):
        nn.digits(val=0.5, test=0.5)
    with pytest.raises(ValueError, match="scores"):
        nn.select_lr(np.ones(3))
    with pytest.raises(ValueError, match="among"):
        nn.select_lr(np.ones((3, 2)), among=[3])
    with pytest.raises(ValueError, match="steps has shape"):
        nn.steps_to(np.ones((2, 3)), [0, 10], 0.5)


# ------------------------------------------------------------------ training


def manual_run(net, opt, seed, data, steps, batch_size):
    """One network trained by a plain loop of opt.step: what train must reproduce."""
    x = net.init(seed)
    state = opt.init(x)
    order = nn._batches(len(data.X_train), batch_size, steps, seed)
    for t in range(steps):
        Xb, yb = data.X_train[order[t]], data.y_train[order[t]]
        x, state = opt.step(x, state, lambda z: net.grad(z, Xb, yb))
    return x


def test_train_equals_separate_plain_loops(data):
    net = nn.mlp([64, 8, 10], activation="relu")
    opts = [optlib.sgd(lr=0.3), optlib.nesterov(lr=0.1, gamma=0.9), optlib.adam(lr=0.01),
            optlib.nadam(lr=0.01), optlib.adadelta(lr=1.0)]
    seeds, steps = [0, 5], 12
    res = nn.train(net, opts, seeds, data, steps=steps, batch_size=32, eval_every=5)
    assert list(res.steps) == [0, 5, 10, 12]
    assert res.val_acc.shape == (5, 2, 4) and res.x.shape == (5, 2, net.n_params)
    for k, opt in enumerate(opts):
        for j, seed in enumerate(seeds):
            ref = manual_run(net, opt, seed, data, steps, 32)
            assert np.abs(res.x[k, j] - ref).max() < 1e-12, (opt, seed)
    assert np.allclose(res.val_acc[..., -1], net.accuracy(res.x, data.X_val, data.y_val))
    assert np.allclose(res.val_loss[..., -1], net.loss(res.x, data.X_val, data.y_val))
    assert np.allclose(res.train_loss[..., 0], net.loss(net.init(seeds), data.X_train,
                                                        data.y_train))


def test_train_records_running_batch_loss_and_nan_on_divergence(data):
    net = nn.mlp([64, 8, 10])
    res = nn.train(net, [optlib.sgd(lr=0.5), optlib.sgd(lr=1e6)], [1], data, steps=20,
                   batch_size=50, eval_every=10)
    order = nn._batches(len(data.X_train), 50, 20, 1)
    x, state, losses = net.init(1), None, []
    opt = optlib.sgd(lr=0.5)
    state = opt.init(x)
    for t in range(20):
        Xb, yb = data.X_train[order[t]], data.y_train[order[t]]
        loss, g = net.loss_and_grad(x, Xb, yb)
        losses.append(loss)
        x, state = opt.step(x, state, lambda z, g=g: g)
    assert res.train_loss[0, 0, 1] == pytest.approx(np.mean(losses[:10]), rel=1e-12)
    assert res.train_loss[0, 0, 2] == pytest.approx(np.mean(losses[10:]), rel=1e-12)
    assert np.isnan(res.val_loss[1, 0, -1]) or res.val_loss[1, 0, -1] > 10


def test_batch_order_depends_on_the_seed_only():
    a, b = nn._batches(100, 10, 25, 3), nn._batches(100, 10, 25, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, nn._batches(100, 10, 25, 4))
    assert a.shape == (25, 10)
    assert sorted(a[:10].ravel()) == list(range(100))      # one epoch sees every example once


def test_progress_bar_runs(data):
    pytest.importorskip("tqdm")
    res = nn.train(nn.mlp([64, 4, 10]), [optlib.sgd(lr=0.1)], [0], data, steps=3,
                   batch_size=16, progress=True)
    assert res.val_acc.shape == (1, 1, 2)


def test_select_lr_and_steps_to():
    scores = np.array([[0.1, 0.2], [0.8, 0.9], [np.nan, 1.0], [0.85, 0.85]])
    assert nn.select_lr(scores) == 1              # nan counts as the worst
    assert nn.select_lr(scores, among=[0, 3]) == 3
    assert nn.select_lr(np.array([[0.5], [0.5]])) == 0          # a tie: the first candidate
    acc = np.array([[0.2, 0.91, 0.5, 0.95], [0.1, 0.1, 0.1, 0.1]])
    assert list(nn.steps_to(acc, [0, 10, 20, 30], 0.9)) == [10, -1]
    assert list(nn.steps_to(acc, [0, 10, 20, 30], 0.1)) == [0, 0]


# ------------------------------------------------------------------ data and import


def test_digits_split_is_stratified_disjoint_and_reproducible(data):
    from sklearn.datasets import load_digits
    full = load_digits()
    n = len(data.X_train) + len(data.X_val) + len(data.X_test)
    assert n == len(full.target) == 1797
    X, y = nn._load_digits()                  # the file read directly = load_digits()
    assert np.array_equal(X, full.data / 16) and np.array_equal(y, full.target)
    assert data.X_train.shape[1] == 64 and data.X_train.min() == 0 and data.X_train.max() == 1
    rows = {tuple(r) for r in np.vstack([data.X_val, data.X_test])}
    assert len(data.X_val) == len(data.X_test) and abs(len(data.X_val) - 0.2 * n) < 10
    for split_y in (data.y_train, data.y_val, data.y_test):
        share = np.bincount(split_y, minlength=10) / len(split_y)
        assert np.abs(share - np.bincount(full.target) / n).max() < 0.01
    assert not any(tuple(r) in rows for r in data.X_train[:200])      # (no duplicate images)
    again = nn.digits()
    assert all(np.array_equal(a, b) for a, b in zip(data, again))
    assert not np.array_equal(nn.digits(seed=1).y_val, data.y_val)


def test_import_is_light():
    probe = ("import json, sys, optlib\nfrom optlib import nn\nnet = nn.mlp([4, 3, 2])\n"
             "print(json.dumps([m for m in ('sklearn', 'tqdm', 'matplotlib') "
             "if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
