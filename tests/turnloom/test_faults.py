"""Fault injection (benchmarks/bench_faults.py): kill -9 a run at a random point, damage
its files, resume; nothing may be lost, duplicated or corrupted, and a refusal must be
clear and leave the files untouched. A few trials by default, all 20 under ``-m slow``."""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
N, SEED = 40, 3


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_faults", ROOT / "benchmarks" / "bench_faults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("faults") / "full"
    bench.reference(out, "travel", N, SEED)
    return out


def _check(t: object) -> None:
    assert (t.lost, t.duplicated, t.corrupted) == (0, 0, 0), t  # type: ignore[attr-defined]
    assert t.outcome in ("identical", "refused"), t  # type: ignore[attr-defined]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize(("number", "fault"), [(0, "cut_lines"), (1, "overwrite_bytes")])
def test_fault_trial(tmp_path: Path, full: Path, number: int, fault: str) -> None:
    t = bench.trial(number, tmp_path, full, scenario="travel", n=N, seed=SEED, fault=fault)
    _check(t)
    assert t.outcome == "identical", t


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("number", range(20))
def test_twenty_fault_trials(tmp_path: Path, full: Path, number: int) -> None:
    _check(bench.trial(number, tmp_path, full, scenario="travel", n=N, seed=SEED))
