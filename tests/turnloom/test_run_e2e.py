"""End-to-end: the real CLI runs the built-in scenario offline and writes verified dialogues."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.dataset import read_dialogues

runner = CliRunner()


def _run(out: Path, *args: str) -> None:
    result = runner.invoke(app, ["run", "travel", "-o", str(out), "--quiet", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    _run(out, "-n", "12", "--seed", "7")
    return out


def test_run_writes_outputs_and_manifest(run_dir: Path) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["scenario"] == "travel"
    assert manifest["seed"] == 7
    assert manifest["counts"]["accepted"] + manifest["counts"]["rejected"] == 12
    assert manifest["counts"]["accepted"] >= 10
    assert "langgraph" in manifest["versions"] and manifest["timings"]["seconds"] > 0
    lines = (run_dir / "accepted.jsonl").read_text().splitlines()
    assert len(lines) == manifest["counts"]["accepted"]


def test_same_seed_is_byte_identical_and_other_seed_differs(run_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    _run(again, "-n", "12", "--seed", "7", "--concurrency", "3")
    assert (again / "accepted.jsonl").read_bytes() == (run_dir / "accepted.jsonl").read_bytes()
    assert (again / "rejected.jsonl").read_bytes() == (run_dir / "rejected.jsonl").read_bytes()
    other = tmp_path / "other"
    _run(other, "-n", "12", "--seed", "8")
    assert (other / "accepted.jsonl").read_bytes() != (run_dir / "accepted.jsonl").read_bytes()


def test_accepted_dialogues_are_executable_and_connected(run_dir: Path) -> None:
    dialogues = list(read_dialogues(run_dir / "accepted.jsonl"))
    assert dialogues
    for d in dialogues:
        tools = {t.name: t for t in d.tools}
        answered = {m.tool_call_id for m in d.messages if m.role == "tool"}
        outputs: list[str] = []
        uses_earlier = False
        for m in d.messages:
            if m.role == "tool" and m.result is not None and m.result.ok:
                outputs.append(json.dumps(m.result.content))
            for call in m.tool_calls:
                assert call.name in tools, call.name
                jsonschema.validate(call.arguments, tools[call.name].parameters)
                assert call.id in answered
                for value in call.arguments.values():
                    if isinstance(value, str) and any(f'"{value}"' in o for o in outputs) and (
                        value.count("-") and value.split("-")[0].isupper()
                    ):
                        uses_earlier = True
        assert uses_earlier, f"{d.id}: no call uses an id returned by an earlier call"


def test_show_prints_a_dialogue(run_dir: Path) -> None:
    result = runner.invoke(app, ["show", str(run_dir / "accepted.jsonl"), "--index", "0", "--width", "120"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Plan" in text and "user" in text and "assistant" in text and "→ call" in text
    assert "ACCEPTED" in text


def test_show_bad_index_is_a_clear_error(run_dir: Path) -> None:
    result = runner.invoke(app, ["show", str(run_dir / "accepted.jsonl"), "--index", "999"])
    assert result.exit_code == 2
    assert "no dialogue with index 999" in result.output


def test_existing_output_needs_resume_or_overwrite(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(run_dir, out)
    result = runner.invoke(app, ["run", "travel", "-n", "2", "-o", str(out), "--quiet"])
    assert result.exit_code == 2
    assert "--resume" in result.output


def test_broken_scenario_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nplan:\n  min_steps: 4\n  max_steps: 2\n  mix: {single: 1, dancing: 2}\n"
                   "tools:\n  inline:\n    - {name: t, description: d, colour: red}\n")
    result = runner.invoke(app, ["run", str(bad), "-n", "1", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert str(bad) in result.output
    assert "tools.inline[0].colour" in result.output
    assert "plan" in result.output
    assert not (tmp_path / "o").exists()


def test_console_script_runs_the_quickstart(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("turnloom")
    proc = subprocess.run([str(exe), "run", "travel", "-n", "3", "--seed", "1", "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "accepted" in proc.stdout
    assert (tmp_path / "o" / "manifest.json").exists()
