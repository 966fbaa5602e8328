"""`turnloom mcts --executor ray` writes the pairs of a local search, byte for byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app

pytest.importorskip("ray")
runner = CliRunner()


def test_mcts_on_ray_matches_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    if os.environ.get("RAY_ADDRESS"):
        monkeypatch.delenv("RAY_ADDRESS")
    run = tmp_path / "run"
    assert runner.invoke(app, ["run", "travel", "-n", "10", "--seed", "4", "-o", str(run), "--quiet"]).exit_code == 0
    data = run / "accepted.jsonl"
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) >= 3
    data.write_text("".join([*lines, lines[0]]), encoding="utf-8")  # a repeat: the duplicate filter spans tasks
    args = ["mcts", str(data), "--model", "offline", "--seed", "3", "--iterations", "4"]
    local = runner.invoke(app, [*args, "-o", str(tmp_path / "local.jsonl")])
    assert local.exit_code == 0, local.output
    distributed = runner.invoke(app, [*args, "-o", str(tmp_path / "ray.jsonl"), "--executor", "ray", "--workers", "2"])
    assert distributed.exit_code == 0, distributed.output
    pairs = (tmp_path / "local.jsonl").read_bytes()
    assert pairs.count(b"\n") >= 1
    assert (tmp_path / "ray.jsonl").read_bytes() == pairs
    # the stats table (duplicates included) and the pair count
    assert distributed.output.partition(" pairs →")[0] == local.output.partition(" pairs →")[0]
