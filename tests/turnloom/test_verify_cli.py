"""``turnloom verify`` re-verifies our files and OpenAI chat-format files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.dataset import read_dialogues

runner = CliRunner()


def test_verify_ours_and_openai_format(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", "travel", "-n", "4", "--seed", "2", "-o", str(out), "--quiet"]).exit_code == 0
    result = runner.invoke(app, ["verify", str(out / "accepted.jsonl"), "-o", str(tmp_path / "v.jsonl")])
    assert result.exit_code == 0, result.output
    assert "state_replay" in result.output and "hallucination" in result.output
    verdicts = [json.loads(x) for x in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert verdicts and all(v["accepted"] for v in verdicts)

    dialogues = list(read_dialogues(out / "accepted.jsonl"))
    openai = tmp_path / "openai.jsonl"
    lines = [d.to_openai() for d in dialogues]
    broken = json.loads(json.dumps(lines[0]))
    call_msg = next(m for m in broken["messages"] if m.get("tool_calls"))
    call_msg["tool_calls"][0]["function"]["name"] = "teleport"
    lines.append(broken)
    openai.write_text("".join(json.dumps(x) + "\n" for x in lines))
    result = runner.invoke(app, ["verify", str(openai), "-o", str(tmp_path / "v2.jsonl")])
    assert result.exit_code == 1, result.output  # a failing dialogue fails the command, as a linter does
    rows = [json.loads(x) for x in (tmp_path / "v2.jsonl").read_text().splitlines()]
    assert [r["accepted"] for r in rows] == [True] * len(dialogues) + [False]
    assert any("tool_exists" in r for r in rows[-1]["reasons"])
    opted_out = runner.invoke(app, ["verify", str(openai), "--exit-zero"])
    assert opted_out.exit_code == 0, opted_out.output
    assert f"{len(dialogues)} of {len(lines)} dialogues pass" in opted_out.output


def test_verify_exits_1_when_every_dialogue_fails(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", "travel", "-n", "2", "--seed", "2", "-o", str(out), "--quiet"]).exit_code == 0
    broken = []
    for d in read_dialogues(out / "accepted.jsonl"):
        row = d.to_openai()
        next(m for m in row["messages"] if m.get("tool_calls"))["tool_calls"][0]["function"]["name"] = "teleport"
        broken.append(row)
    data = tmp_path / "broken.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in broken))
    result = runner.invoke(app, ["verify", str(data), "-o", str(tmp_path / "v.jsonl")])
    assert result.exit_code == 1, result.output
    assert f"0 of {len(broken)} dialogues pass" in result.output
    assert len((tmp_path / "v.jsonl").read_text().splitlines()) == len(broken)  # verdicts still written


def test_verify_bad_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "robot", "content": "hi"}]}\n')
    result = runner.invoke(app, ["verify", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:1" in result.output and "messages[0].role" in result.output
