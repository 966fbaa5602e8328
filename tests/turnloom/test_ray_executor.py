"""The Ray executor writes exactly what the local executor writes (same seed, any number
of workers), resumes after its driver is killed, and ``ray_map`` keeps input order.

One local Ray (2 CPUs) serves the whole module: in-process runs use it as it is, and the
killed subprocess run connects to it by address.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

ray = pytest.importorskip("ray", reason="the Ray executor needs Ray (pip install 'turnloom[ray]')")

from turnloom.cli import app  # noqa: E402
from turnloom.executors import LocalExecutor, SimSpec  # noqa: E402
from turnloom.executors_ray import RayExecutor, ray_map  # noqa: E402
from turnloom.scenarios import load_scenario  # noqa: E402
from turnloom.simulate import Simulator  # noqa: E402

EXE = str(Path(sys.executable).with_name("turnloom"))
FILES = ("accepted.jsonl", "rejected.jsonl")
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}
runner = CliRunner()


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in RAY_ENV.items():
            mp.setenv(k, v)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            yield str(ray.get_runtime_context().gcs_address)
        finally:
            ray.shutdown()


def _run(out: Path, n: int, *args: str) -> None:
    result = runner.invoke(app, ["run", "travel", "-n", str(n), "--seed", "5", "-o", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output


def _files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def local_12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    _run(out, 12)
    return out


def test_ray_run_is_byte_identical_to_local(ray_address: str, local_12: Path, tmp_path: Path) -> None:
    _run(tmp_path / "ray2", 12, "--executor", "ray", "--workers", "2")
    assert _files(tmp_path / "ray2") == _files(local_12)
    assert (tmp_path / "ray2" / "accepted.jsonl").read_bytes().count(b"\n") >= 10
    manifest = json.loads((tmp_path / "ray2" / "manifest.json").read_text())
    assert manifest["executor"] == "ray"
    assert manifest["counts"] == json.loads((local_12 / "manifest.json").read_text())["counts"]
    assert ray.is_initialized(), "a Ray the executor did not start must be left running"


def test_one_worker_and_two_workers_agree(ray_address: str, local_12: Path, tmp_path: Path) -> None:
    _run(tmp_path / "ray1", 12, "--executor", "ray", "--workers", "1", "--concurrency", "3")
    _run(tmp_path / "ray2", 12, "--executor", "ray", "--workers", "2", "--concurrency", "1")
    assert _files(tmp_path / "ray1") == _files(tmp_path / "ray2") == _files(local_12)


def test_outcomes_cover_each_index_once_in_any_order(ray_address: str) -> None:
    sc = load_scenario("travel")
    sim = Simulator(sc)
    spec = SimSpec(scenario=sc.model_dump(mode="json"), agent_refs=dict(sim.agent_refs), models=sim.models)
    indices = [9, 2, 7, 0, 4]

    async def collect(ex: RayExecutor | LocalExecutor, idx: list[int]) -> dict[int, object]:
        got: dict[int, object] = {}
        async for o in ex.outcomes(idx, 11):
            assert o.index not in got
            got[o.index] = o
        return got

    remote = asyncio.run(collect(RayExecutor(spec, workers=2, chunk=2, in_flight=1), indices))
    local = asyncio.run(collect(LocalExecutor(sim), indices))
    assert sorted(remote) == sorted(indices)
    assert remote == local
    assert asyncio.run(collect(RayExecutor(spec), [])) == {}


def _progress(out: Path) -> int:
    try:
        return int(json.loads((out / ".progress.json").read_text())["next_index"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_ray_run_resumes_byte_identical(ray_address: str, tmp_path: Path) -> None:
    # long enough that the run cannot finish between seeing its first checkpoints and the kill
    n = 240
    full = tmp_path / "full"
    _run(full, n)

    cut = tmp_path / "cut"
    cmd = [EXE, "run", "travel", "-n", str(n), "--seed", "5", "-o", str(cut), "--quiet",
           "--executor", "ray", "--workers", "2", "--ray-address", ray_address]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, **RAY_ENV})
    deadline = time.monotonic() + 300
    while _progress(cut) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished (or failed) before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _progress(cut)
    assert 3 <= done < n

    _run(cut, n, "--executor", "ray", "--workers", "2", "--resume")
    assert _files(cut) == _files(full)
    manifest = json.loads((cut / "manifest.json").read_text())
    assert manifest["timings"]["resumed_from"] == done
    assert manifest["counts"] == json.loads((full / "manifest.json").read_text())["counts"]


def test_ray_map_keeps_order_and_shares_arguments(ray_address: str) -> None:
    items = list(range(23))
    assert ray_map(pow, items, shared=(3, 1000), chunk=4, max_in_flight=2) == [x**3 % 1000 for x in items]
    assert ray_map(pow, [], shared=(3, 1000)) == []
    with pytest.raises(ValueError, match="invalid literal"):
        ray_map(int, ["1", "x", "2"])
