"""The root conftest's retry of nbval's kernel start."""
import importlib.util
import types
from pathlib import Path

import pytest

# The root conftest.py by its path: `import conftest` can name another folder's conftest
# (tests/live, tests/browser, ...), which pytest also imports as "conftest".
_spec = importlib.util.spec_from_file_location(
    "optlib_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)


def _module(failures: int):
    calls = []

    def start_new_kernel(*args, **kwargs):
        calls.append((args, kwargs))
        if len(calls) <= failures:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "km", "kc"

    return types.SimpleNamespace(start_new_kernel=start_new_kernel), calls


def test_a_kernel_that_dies_at_start_is_started_again(monkeypatch):
    monkeypatch.setattr(conftest.time, "sleep", lambda s: None)
    module, calls = _module(failures=conftest.KERNEL_START_ATTEMPTS - 1)
    assert conftest.retry_kernel_start(module)
    assert not conftest.retry_kernel_start(module)          # wrapped once only
    assert module.start_new_kernel(kernel_name="python3", cwd="x") == ("km", "kc")
    assert len(calls) == conftest.KERNEL_START_ATTEMPTS
    assert all(c == ((), {"kernel_name": "python3", "cwd": "x"}) for c in calls)


def test_a_kernel_that_always_dies_still_fails(monkeypatch):
    monkeypatch.setattr(conftest.time, "sleep", lambda s: None)
    module, calls = _module(failures=99)
    conftest.retry_kernel_start(module)
    with pytest.raises(RuntimeError, match="Kernel died"):
        module.start_new_kernel()
    assert len(calls) == conftest.KERNEL_START_ATTEMPTS


def test_nbvals_kernel_start_is_wrapped():
    nbval_kernel = pytest.importorskip("nbval.kernel")
    assert getattr(nbval_kernel.start_new_kernel, "_retries", False)
