"""`turnloom eval --executor ray` gives the files of a local evaluation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app

pytest.importorskip("ray")
runner = CliRunner()


def test_eval_on_ray_matches_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    run = tmp_path / "run"
    assert runner.invoke(app, ["run", "travel", "-n", "10", "--seed", "4", "-o", str(run), "--quiet"]).exit_code == 0
    data = str(run / "accepted.jsonl")
    local = runner.invoke(app, ["eval", data, "--model", "offline", "-o", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    if os.environ.get("RAY_ADDRESS"):
        monkeypatch.delenv("RAY_ADDRESS")
    distributed = runner.invoke(app, ["eval", data, "--model", "offline", "-o", str(tmp_path / "ray"),
                                      "--executor", "ray", "--workers", "2"])
    assert distributed.exit_code == 0, distributed.output
    for name in ("steps.jsonl", "dialogues.jsonl"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
