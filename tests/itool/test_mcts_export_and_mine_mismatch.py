"""The README's iTool flow through the real CLI: ``turnloom mcts`` then ``turnloom export --format trl-dpo``;
and ``turnloom mine`` against another dataset's evaluation says so instead of reporting zero."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.itool import OfflinePolicy, evaluate, write_eval
from turnloom.schema import Dialogue

runner = CliRunner()


def test_mcts_pairs_export_to_trl_dpo(travel_file: Path, tmp_path: Path) -> None:
    pairs, exported = tmp_path / "pairs.jsonl", tmp_path / "dpo.jsonl"
    mcts = runner.invoke(app, ["mcts", str(travel_file), "-o", str(pairs), "--depth", "1"])
    assert mcts.exit_code == 0, mcts.output
    written = [json.loads(line) for line in pairs.read_text().splitlines()]
    assert any(r["chosen"][0].get("tool_calls") for r in written)

    result = runner.invoke(app, ["export", str(pairs), "--format", "trl-dpo", "-o", str(exported)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    # the mcts rows are already TRL rows: exporting gives them back, without the search metadata
    assert rows == [{k: v for k, v in r.items() if k != "meta"} for r in written]

    again = tmp_path / "again.jsonl"
    result = runner.invoke(app, ["export", str(exported), "--format", "trl-dpo", "-o", str(again),
                                 "--system-prompt", "Be brief."])
    assert result.exit_code == 0, result.output
    first = json.loads(again.read_text().splitlines()[0])
    assert first["prompt"][0] == {"role": "system", "content": "Be brief."}
    assert first["chosen"] == rows[0]["chosen"] and first["tools"] == rows[0]["tools"]


def test_mcts_style_row_with_a_bad_call_names_the_field(tmp_path: Path) -> None:
    row = {"prompt": [{"role": "user", "content": "hi"}],
           "chosen": [{"role": "assistant", "content": "", "tool_calls": [
               {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{not json"}}]}],
           "rejected": [{"role": "assistant", "content": "no"}]}
    src, out = tmp_path / "pairs.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps(row) + "\n")
    result = runner.invoke(app, ["export", str(src), "--format", "trl-dpo", "-o", str(out)])
    assert result.exit_code == 2
    assert "pairs.jsonl:1: chosen[0].tool_calls[0].arguments" in result.output
    assert not out.exists()


def test_mine_against_another_datasets_evaluation_is_an_error(travel: list[Dialogue], tmp_path: Path) -> None:
    evaluated, other = travel[:2], [d.model_copy(update={"id": f"other-{i}"}) for i, d in enumerate(travel[2:4])]
    write_eval(asyncio.run(evaluate(evaluated, OfflinePolicy())), tmp_path / "eval")
    data = tmp_path / "other.jsonl"
    data.write_text("".join(d.model_dump_json() + "\n" for d in other))
    out = tmp_path / "deficient.jsonl"
    result = runner.invoke(app, ["mine", str(data), "--eval", str(tmp_path / "eval"), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "the evaluation is of another dataset" in result.output and evaluated[0].id in result.output
    assert not out.exists()
    own = tmp_path / "own.jsonl"
    own.write_text("".join(d.model_dump_json() + "\n" for d in travel[:1]))  # a part of the evaluated file
    part = runner.invoke(app, ["mine", str(own), "--eval", str(tmp_path / "eval"), "-o", str(out)])
    assert part.exit_code == 0, part.output
