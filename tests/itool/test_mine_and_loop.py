"""Deficiency mining and one full iTool iteration."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from itool_helpers import LogprobServer, Reply, ScriptedOpenAIServer, cli_app, make_dialogue
from typer.testing import CliRunner

from turnloom.itool import EndpointNLL, OfflinePolicy, evaluate, mine, tree_roots, write_eval
from turnloom.schema import Dialogue

runner = CliRunner()

TURNS: list[tuple[str, Any, Any]] = [
    ("single", "What's the weather in Paris?", [("get_weather", {"city": "Paris"})]),
    ("single", "And the forecast for Oslo for 3 days?", [("get_forecast", {"city": "Oslo", "days": 3})]),
    ("closing", "Thanks, that's all.", "You're welcome!"),
]


def _row(did: str, index: int, ok: bool, calls: bool, nll: float | None = None) -> dict[str, Any]:
    return {"dialogue_id": did, "index": index, "ok": ok, "calls": calls, "nll": nll}


def test_failed_steps_mark_their_dialogues(travel: list[Dialogue]) -> None:
    a, b, c = travel[:3]
    rows = [_row(a.id, 2, True, True), _row(a.id, 4, False, False), _row(b.id, 2, True, True),
            _row(c.id, 2, False, True), _row(c.id, 6, False, True), _row("unknown", 1, False, True)]
    result = mine(travel[:3], rows)
    assert [d.id for d in result.dialogues] == [a.id, c.id]
    assert result.dialogues[0].stats["itool"] == {"deficient_steps": [4], "failed": [4], "high_nll": []}
    assert result.dialogues[1].stats["itool"]["deficient_steps"] == [2, 6]
    assert result.dialogues[0].stats["user_turns"] == a.stats["user_turns"]  # other stats kept
    assert result.stats["failed_steps"] == 3 and not result.stats["nll_scored"]
    assert tree_roots(result.dialogues[1], depth=3) == [2, 6]


def test_top_fraction_by_nll_per_step_type(travel: list[Dialogue]) -> None:
    d = travel[0]
    calls = [_row(d.id, i, True, True, nll=float(i)) for i in range(10)]
    texts = [_row(d.id, 100 + i, True, False, nll=float(i) / 10) for i in range(5)]
    result = mine([d], calls + texts, top=0.3)
    marked = result.dialogues[0].stats["itool"]["high_nll"]
    assert marked == [7, 8, 9, 103, 104]  # ceil(30% of 10) call steps, ceil(30% of 5) no-call steps
    assert result.stats["nll_scored"] and result.stats["high_nll_steps"] == 5
    with pytest.raises(ValueError, match="fraction"):
        mine([d], calls, top=1.5)


def test_mine_cli_from_an_evaluation_with_nll(travel: list[Dialogue], travel_file: Path, tmp_path: Path) -> None:
    with LogprobServer() as server:
        scorer = EndpointNLL(f"openai:scripted-model@{server.url}")
        result = asyncio.run(evaluate(travel[:3], OfflinePolicy(), nll=scorer))
        scorer.close()
    write_eval(result, tmp_path / "eval")
    steps = [json.loads(line) for line in (tmp_path / "eval" / "steps.jsonl").read_text().splitlines()]
    assert all(s["nll"] is not None and s["nll"] > 0 and s["ok"] for s in steps)
    out = tmp_path / "deficient.jsonl"
    cli = runner.invoke(cli_app(), ["mine", str(travel_file), "--eval", str(tmp_path / "eval"), "-o", str(out)])
    assert cli.exit_code == 0, cli.output
    mined = [Dialogue.model_validate_json(line) for line in out.read_text().splitlines()]
    marked = sum(len(d.stats["itool"]["high_nll"]) for d in mined)
    n_call = sum(1 for s in steps if s["calls"])
    assert marked == -(-n_call * 3 // 10) + -(-(len(steps) - n_call) * 3 // 10)
    assert "top 30% by NLL" in cli.output
    missing = runner.invoke(cli_app(), ["mine", str(travel_file), "--eval", str(tmp_path / "nope"), "-o", str(out)])
    assert missing.exit_code == 2 and "steps.jsonl: no such file" in missing.output


def _policy_script(right: bool) -> Any:
    def script(body: dict[str, Any]) -> Reply:
        last = body["messages"][-1]
        if last["role"] == "tool" or "Thanks" in (last.get("content") or ""):
            return Reply(content="Here it is.")
        if "Paris" in (last.get("content") or ""):
            return Reply(calls=[("get_weather", {"city": "Paris"})])
        return Reply(calls=[("get_forecast", {"city": "Oslo", "days": 3 if right else 4})])

    return script


def test_one_iteration_eval_mine_mcts_train_eval(tmp_path: Path) -> None:
    data = tmp_path / "weather.jsonl"
    data.write_text(make_dialogue(TURNS).model_dump_json() + "\n", encoding="utf-8")
    trainer = tmp_path / "trainer.py"
    trainer.write_text("import shutil, sys\nshutil.copy(sys.argv[1], sys.argv[2] + '/trained-on.jsonl')\n")
    out = tmp_path / "iter"
    with ScriptedOpenAIServer(script=_policy_script(right=False)) as before, \
            ScriptedOpenAIServer(script=_policy_script(right=True)) as after:
        result = runner.invoke(cli_app(), [
            "itool", str(data), "--model", f"openai:policy@{before.url}", "-o", str(out),
            "--after-model", f"openai:policy@{after.url}", "--samples", "2",
            "--train-cmd", f"{sys.executable} {trainer} {{pairs}} {{out}}",
        ])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["before"]["accuracy"] == 0.8 and summary["after"]["accuracy"] == 1.0
    assert summary["change"]["accuracy"] == pytest.approx(0.2)
    assert summary["mine"]["deficient_dialogues"] == 1 and summary["mine"]["failed_steps"] == 1
    deficient = Dialogue.model_validate_json((out / "deficient.jsonl").read_text())
    failed_index = deficient.stats["itool"]["deficient_steps"][0]
    assert deficient.messages[failed_index].tool_calls[0].name == "get_forecast"
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert pairs and pairs[0]["meta"]["message_index"] == failed_index
    assert pairs[0]["meta"]["chosen"]["source"] == "gold" and pairs[0]["meta"]["depth"] == 0
    assert (out / "trained-on.jsonl").read_text() == (out / "pairs.jsonl").read_text()
    assert summary["train"]["returncode"] == 0 and summary["train"]["command"][-2].endswith("pairs.jsonl")
    for stage in ("eval_before", "eval_after"):
        assert json.loads((out / stage / "summary.json").read_text())["steps"] == 5
    assert "before → after" in result.output


def test_a_failing_trainer_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "weather.jsonl"
    data.write_text(make_dialogue(TURNS).model_dump_json() + "\n", encoding="utf-8")
    with ScriptedOpenAIServer(script=_policy_script(right=False)) as server:
        result = runner.invoke(cli_app(), ["itool", str(data), "--model", f"openai:p@{server.url}", "-o",
                                           str(tmp_path / "o"), "--samples", "0",
                                           "--train-cmd", f"{sys.executable} -c 'raise SystemExit(3)'"])
    assert result.exit_code == 2 and "exited with status 3" in result.output


def test_offline_iteration_without_deficiencies_skips_training(travel_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli_app(), ["itool", str(travel_file), "--model", "offline", "-o", str(tmp_path / "o"),
                                       "--train-cmd", "false"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["before"]["accuracy"] == summary["after"]["accuracy"] == 1.0
    assert summary["train"]["skipped"] == "no preference pairs" and summary["mcts"]["kept"] == 0


def test_offline_iteration_mines_by_perplexity(travel_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    with LogprobServer() as server:
        result = runner.invoke(cli_app(), ["itool", str(travel_file), "--model", "offline", "-o", str(out),
                                           "--nll", f"openai:scorer@{server.url}", "--depth", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mine"]["nll_scored"] and summary["mine"]["failed_steps"] == 0
    assert summary["mine"]["high_nll_steps"] == summary["mcts"]["trees"] > 0  # one tree per mined step
    assert summary["mcts"]["kept"] > 0 and summary["train"]["skipped"] == "no --train-cmd"
    assert summary["before"]["mean_nll"] > 0 and summary["before"]["nll_model"].startswith("openai:scorer@")


def test_offline_policy_with_error_modes_finds_deficiencies_and_pairs(travel_file: Path, tmp_path: Path) -> None:
    """The data generator scores 100% on its own data; with error modes the offline loop has
    something to find: deficient dialogues (>= 1 per 10) and preference pairs."""
    out = tmp_path / "o"
    result = runner.invoke(cli_app(), ["itool", str(travel_file), "--model", "offline:errors=0.4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    n = len(travel_file.read_text().splitlines())
    assert summary["before"]["accuracy"] < 1.0
    deficient = (out / "deficient.jsonl").read_text().splitlines()
    assert len(deficient) * 10 >= n
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert pairs and all(p["chosen"] != p["rejected"] for p in pairs)
    again = tmp_path / "again"
    assert runner.invoke(cli_app(), ["itool", str(travel_file), "--model", "offline:errors=0.4",
                                     "-o", str(again)]).exit_code == 0
    assert (again / "pairs.jsonl").read_bytes() == (out / "pairs.jsonl").read_bytes()  # seeded


@pytest.mark.parametrize("spec", ["offline:errors=2", "offline:errors=0.3,modes=typo", "offline:rate=0.3"])
def test_bad_error_mode_specs_are_one_line(travel_file: Path, tmp_path: Path, spec: str) -> None:
    result = runner.invoke(cli_app(), ["eval", str(travel_file), "--model", spec, "-o", str(tmp_path / "e")])
    assert result.exit_code == 2
    assert "offline:errors=RATE" in " ".join(result.output.split())
    assert "Traceback" not in result.output
