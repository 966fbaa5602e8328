"""What a user sees of the command line as a whole: ``--version``, help text, one spelling of the
output flag, ``scenario new NAME`` and pytest's skip reasons."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import typer
import yaml
from typer.testing import CliRunner

import turnloom
from turnloom.cli import app

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "importers"
runner = CliRunner()


def _commands() -> Iterator[tuple[list[str], click.Command]]:
    """Every leaf command with its path, e.g. ``(["pool", "import"], <command>)``."""
    def walk(cmd: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, cmd

    yield from walk(typer.main.get_command(app), [])


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"turnloom {turnloom.__version__}"
    assert "--version" in runner.invoke(app, ["--help"]).output


def test_every_help_shows_flags_without_a_type_and_brackets_as_written() -> None:
    commands = list(_commands())
    assert len(commands) > 20
    for path, _ in commands:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, path
    report = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "120"}).output
    assert "([embeddings]" in report and "--embeddings / --no-embeddings" in report


def test_one_spelling_of_the_output_flag() -> None:
    outputs = []
    for path, cmd in _commands():
        for param in cmd.params:
            names = [*param.opts, *getattr(param, "secondary_opts", [])]
            assert "--output" not in names, path
            if "-o" in names:
                assert "--out" in names, path
                outputs.append(" ".join(path))
    assert {"run", "export", "verify", "pool import", "pool evolve", "graph build", "scenario new"} <= set(outputs)


def test_pool_import_and_evolve_take_out(tmp_path: Path) -> None:
    pool = tmp_path / "pool.jsonl"
    result = runner.invoke(app, ["pool", "import", "openai", str(FIXTURES / "openai_tools.json"), "--out", str(pool)])
    assert result.exit_code == 0, result.output
    evolved = tmp_path / "evolved.jsonl"
    result = runner.invoke(app, ["pool", "evolve", str(pool), "-n", "3", "--seed", "1", "--out", str(evolved)])
    assert result.exit_code == 0, result.output
    assert pool.stat().st_size > 0 and evolved.stat().st_size > 0
    result = runner.invoke(app, ["pool", "import", "openai", str(FIXTURES / "openai_tools.json"), "--output", "x"])
    assert result.exit_code == 2 and "--output" in result.output


def test_scenario_new_is_described_by_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["scenario", "new", "gym"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((tmp_path / "gym.yaml").read_text())
    assert data["name"] == "gym"
    assert data["description"].startswith("gym: ") and "Library" not in data["description"]
    assert "gym" in data["system_prompt"] and "library" not in data["system_prompt"]
    assert "gym" in data["user"]["persona"] and any("gym" in goal for goal in data["user"]["goals"])
    assert runner.invoke(app, ["scenario", "validate", "gym.yaml"]).exit_code == 0


def test_pytest_lists_skip_reasons(tmp_path: Path) -> None:
    (tmp_path / "test_skipping.py").write_text(
        "import pytest\n\n\n@pytest.mark.skip(reason='needs the moon')\ndef test_moon() -> None:\n    pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir",
                           str(ROOT), "-p", "no:cacheprovider", str(tmp_path / "test_skipping.py")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SKIPPED [1]" in proc.stdout and "needs the moon" in proc.stdout
