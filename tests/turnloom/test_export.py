"""Training exports (OpenAI, ShareGPT, TRL), input errors, atomic writes and the ``export`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.export import (
    ExportInputError,
    export_file,
    read_pairs,
    to_openai,
    to_sharegpt,
    to_trl_dpo,
    to_trl_sft,
)
from turnloom.export._sharegpt import EVEN_TAGS, OBSERVATION_SEPARATOR, ODD_TAGS
from turnloom.schema import Dialogue, Message, Plan, ToolCall, ToolResult, Verdict


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _lines(dialogues: list[Dialogue]) -> str:
    return "".join(d.model_dump_json() + "\n" for d in dialogues)


# ---------------------------------------------------------------- openai


def test_openai_messages_follow_the_fine_tuning_shape(dialogues: list[Dialogue]) -> None:
    trip = dialogues[0]
    record = to_openai(trip)
    assert record is not None
    assert set(record) == {"messages", "tools"}
    messages = record["messages"]
    assert messages[0] == {"role": "system", "content": "You are a helpful travel assistant."}
    assert len(messages) == len(trip.messages)
    allowed = {
        "system": {"role", "content"},
        "user": {"role", "content"},
        "assistant": {"role", "content", "tool_calls"},
        "tool": {"role", "tool_call_id", "content"},
    }
    seen_ids: set[str] = set()
    for out, source in zip(messages, trip.messages, strict=True):
        assert set(out) <= allowed[out["role"]], out
        if out["role"] == "tool":
            assert out["tool_call_id"] in seen_ids
            assert json.loads(out["content"]) == source.result.content  # type: ignore[union-attr]
        elif "tool_calls" in out:
            # no text: no content key, as in OpenAI's examples; with text: the text is kept
            assert out.get("content") == source.content
            for call, gold in zip(out["tool_calls"], source.tool_calls, strict=True):
                assert call["type"] == "function"
                assert isinstance(call["function"]["arguments"], str)
                assert json.loads(call["function"]["arguments"]) == gold.arguments
                assert call["function"]["name"] == gold.name
                seen_ids.add(call["id"])
        else:
            assert isinstance(out["content"], str) and out["content"]
    parallel = messages[4]
    assert "content" not in parallel and len(parallel["tool_calls"]) == 2
    assert messages[9]["content"] == "Let me look that up."
    tool = record["tools"][2]
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "book_table"
    assert tool["function"]["parameters"]["required"] == ["restaurant_id", "date", "party_size"]


def test_system_prompt_replaces_removes_or_adds(dialogues: list[Dialogue]) -> None:
    trip, money = dialogues[0], dialogues[1]
    replaced = to_openai(trip, system_prompt="Be brief.")
    assert replaced is not None
    assert [m for m in replaced["messages"] if m["role"] == "system"] == [{"role": "system", "content": "Be brief."}]
    removed = to_openai(trip, system_prompt="")
    assert removed is not None and all(m["role"] != "system" for m in removed["messages"])
    added = to_trl_sft(money, system_prompt="Be brief.")
    assert added is not None and added["messages"][0] == {"role": "system", "content": "Be brief."}


def test_trailing_user_dropped_and_silent_dialogue_skipped(dialogues: list[Dialogue]) -> None:
    trip = dialogues[0].model_copy(deep=True)
    trip.messages.append(Message(role="user", content="One more thing...", step=6))
    record = to_openai(trip)
    assert record is not None and record["messages"][-1]["role"] == "assistant"
    silent = trip.model_copy(update={"messages": [Message(role="user", content="Hello?")]})
    assert to_openai(silent) is None and to_sharegpt(silent) is None and to_trl_sft(silent) is None


# ---------------------------------------------------------------- sharegpt


def _llamafactory_accepts(record: dict[str, Any]) -> bool:
    """LLaMA-Factory's SharegptDatasetConverter checks, as in its source: alternating tags, even count."""
    accept_tags = (ODD_TAGS, EVEN_TAGS)
    turns = record["conversations"]
    if any(turn["from"] not in accept_tags[i % 2] for i, turn in enumerate(turns)):
        return False
    return len(turns) % 2 == 0 and len(turns) > 0


def test_sharegpt_follows_llamafactory_rules(dialogues: list[Dialogue]) -> None:
    for dialogue in dialogues:
        record = to_sharegpt(dialogue)
        assert record is not None
        assert set(record) == {"conversations", "system", "tools"}
        assert _llamafactory_accepts(record), record["conversations"]
        for turn in record["conversations"]:
            assert set(turn) == {"from", "value"} and isinstance(turn["value"], str)
            if turn["from"] == "function_call":
                value = json.loads(turn["value"])
                for call in value if isinstance(value, list) else [value]:
                    assert set(call) == {"name", "arguments"} and isinstance(call["arguments"], dict)
        tools = json.loads(record["tools"])
        assert [t["name"] for t in tools] == [t.name for t in dialogue.tools]
        assert all(set(t) == {"name", "description", "parameters"} for t in tools)

    trip = to_sharegpt(dialogues[0])
    assert trip is not None
    assert trip["system"] == "You are a helpful travel assistant."
    turns = trip["conversations"]
    parallel = json.loads(turns[3]["value"])
    assert [c["arguments"]["city"] for c in parallel] == ["Lyon", "Paris"]
    assert turns[4]["from"] == "observation"
    first, second = turns[4]["value"].split(OBSERVATION_SEPARATOR)
    assert json.loads(first)["condition"] == "sunny" and json.loads(second)["condition"] == "cloudy"
    # text written alongside a call has no place in a function_call turn
    assert all("Let me look that up." not in t["value"] for t in turns)


def test_sharegpt_repairs_or_cuts_what_cannot_alternate() -> None:
    call = ToolCall(id="c1", name="get_weather", arguments={"city": "Oslo"})
    result = ToolResult(call_id="c1", name="get_weather", content={"temperature": 3})
    dialogue = Dialogue(
        id="edge",
        scenario="s",
        index=0,
        seed=0,
        tools=[],
        plan=Plan(),
        verdict=Verdict(accepted=True),
        messages=[
            Message(role="assistant", content="Welcome!"),  # before any user message: dropped
            Message(role="user", content="Hi."),
            Message(role="user", content="Weather in Oslo?"),  # merged with the one before
            Message(role="assistant", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name="get_weather", result=result),
            Message(role="user", content="Thanks"),  # right after a tool result: the conversation ends here
            Message(role="assistant", content="You're welcome."),
        ],
    )
    record = to_sharegpt(dialogue)
    assert record is not None
    assert [t["from"] for t in record["conversations"]] == ["human", "function_call"]
    assert record["conversations"][0]["value"] == "Hi.\nWeather in Oslo?"
    assert record["system"] == "" and json.loads(record["tools"]) == []


# ---------------------------------------------------------------- trl


def test_trl_sft_uses_chat_template_shapes(dialogues: list[Dialogue]) -> None:
    record = to_trl_sft(dialogues[0])
    assert record is not None
    calls = [m for m in record["messages"] if m.get("tool_calls")]
    assert calls[0]["content"] == ""
    assert calls[0]["tool_calls"][0] == {
        "id": "call_w1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": {"city": "Lyon", "unit": "celsius"}},
    }
    tools = [m for m in record["messages"] if m["role"] == "tool"]
    assert tools[0] == {
        "role": "tool",
        "name": "get_weather",
        "tool_call_id": "call_w1",
        "content": '{"condition":"sunny","temperature":21.5}',
    }
    assert record["tools"] == to_openai(dialogues[0])["tools"]  # type: ignore[index]


def test_trl_dpo_rows_from_pairs(tmp_path: Path, pairs_file: Path) -> None:
    out = tmp_path / "dpo.jsonl"
    summary = export_file(pairs_file, "trl-dpo", out)
    assert summary.read == 2 and summary.files == {out: 2}
    rows = _read_jsonl(out)
    assert [set(r) for r in rows] == [{"prompt", "chosen", "rejected", "tools"}] * 2
    first = rows[0]
    assert first["prompt"][-1] == {"role": "user", "content": "How warm is it in Oslo, in celsius?"}
    assert first["chosen"][0]["tool_calls"][0]["function"]["arguments"] == {"city": "Oslo", "unit": "celsius"}
    assert first["rejected"][0]["tool_calls"][0]["function"]["arguments"] == {"city": "Osaka"}
    assert first["tools"][0]["function"]["name"] == "get_weather"
    second = rows[1]
    assert [m["role"] for m in second["prompt"]] == ["user", "assistant", "tool"]
    assert second["chosen"] == [{"role": "assistant", "content": "It is sunny in Rome at 24 °C."}]
    with_system = to_trl_dpo(read_pairs(pairs_file)[0], system_prompt="Answer in French.")
    assert with_system["prompt"][0] == {"role": "system", "content": "Answer in French."}
    assert sum(m["role"] == "system" for m in with_system["prompt"]) == 1


def test_pair_whose_chosen_is_not_an_assistant_turn_is_refused(tmp_path: Path, pairs: list[dict[str, Any]]) -> None:
    pairs[1]["chosen"] = [{"role": "user", "content": "hm"}]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    with pytest.raises(ExportInputError) as err:
        export_file(path, "trl-dpo", tmp_path / "out.jsonl")
    assert str(err.value).startswith(f"{path}:2: chosen: ")
    assert "must start with an assistant message" in str(err.value)


# ---------------------------------------------------------------- errors, determinism, atomic writes


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "(line): invalid JSON: "),
        ("[1, 2]", "(line): expected a JSON object, got list"),
        (None, "messages[1].role: Input should be 'system', 'user', 'assistant' or 'tool'"),
        (None, "tools[0].name: Field required"),
    ],
)
def test_bad_line_names_file_line_and_field(
    tmp_path: Path, dialogues: list[Dialogue], line: str | None, expected: str
) -> None:
    bad = dialogues[1].model_dump(mode="json")
    if "role" in expected:
        bad["messages"][1]["role"] = "robot"
    elif "tools" in expected:
        del bad["tools"][0]["name"]
    path = tmp_path / "in.jsonl"
    path.write_text(_lines(dialogues[:1]) + "\n" + (line or json.dumps(bad)) + "\n", encoding="utf-8")
    with pytest.raises(ExportInputError) as err:
        export_file(path, "openai", tmp_path / "out.jsonl")
    assert str(err.value).startswith(f"{path}:3: {expected}")


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "trl-sft", "bfcl"])
def test_exports_are_byte_identical_across_runs(tmp_path: Path, dialogue_file: Path, fmt: str) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    export_file(dialogue_file, fmt, a / "out", only_accepted=False)
    export_file(dialogue_file, fmt, b / "out", only_accepted=False)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes()


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "trl-sft", "bfcl"])
def test_failure_leaves_no_output(tmp_path: Path, dialogues: list[Dialogue], fmt: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(_lines(dialogues) + '{"id": "broken"}\n', encoding="utf-8")
    out = tmp_path / "out" / "data"
    with pytest.raises(ExportInputError):
        export_file(path, fmt, out)
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_failure_keeps_the_previous_output(tmp_path: Path, dialogue_file: Path) -> None:
    out = tmp_path / "train.jsonl"
    export_file(dialogue_file, "openai", out)
    before = out.read_bytes()
    broken = tmp_path / "broken.jsonl"
    broken.write_text(dialogue_file.read_text(encoding="utf-8") + "{}\n", encoding="utf-8")
    with pytest.raises(ExportInputError):
        export_file(broken, "openai", out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.jsonl", "dialogues.jsonl", "train.jsonl"]


def test_only_accepted_by_default(tmp_path: Path, dialogue_file: Path) -> None:
    accepted = export_file(dialogue_file, "openai", tmp_path / "a.jsonl")
    everything = export_file(dialogue_file, "openai", tmp_path / "b.jsonl", only_accepted=False)
    assert (accepted.read, accepted.written, dict(accepted.skipped)) == (3, 2, {"not_accepted": 1})
    assert (everything.read, everything.written, dict(everything.skipped)) == (3, 3, {})


# ---------------------------------------------------------------- the command


def test_cli_export_end_to_end(tmp_path: Path, dialogue_file: Path, pairs_file: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "train.jsonl"
    result = runner.invoke(app, ["export", str(dialogue_file), "--format", "openai", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(_read_jsonl(out)) == 2
    assert "read 3 record(s)" in result.output and "wrote 2" in result.output
    assert "skipped 1: not accepted" in result.output

    result = runner.invoke(
        app, ["export", str(dialogue_file), "-f", "sharegpt", "-o", str(tmp_path / "sg.jsonl"), "--all"]
    )
    assert result.exit_code == 0, result.output
    assert len(_read_jsonl(tmp_path / "sg.jsonl")) == 3

    result = runner.invoke(
        app,
        ["export", str(dialogue_file), "-f", "trl-sft", "-o", str(tmp_path / "sft.jsonl"), "--system-prompt", "Hi"],
    )
    assert result.exit_code == 0, result.output
    assert all(r["messages"][0] == {"role": "system", "content": "Hi"} for r in _read_jsonl(tmp_path / "sft.jsonl"))

    result = runner.invoke(app, ["export", str(pairs_file), "-f", "trl-dpo", "-o", str(tmp_path / "dpo.jsonl")])
    assert result.exit_code == 0, result.output
    assert len(_read_jsonl(tmp_path / "dpo.jsonl")) == 2

    bfcl = tmp_path / "bfcl"
    result = runner.invoke(app, ["export", str(dialogue_file), "-f", "bfcl", "-o", str(bfcl)])
    assert result.exit_code == 0, result.output
    assert "skipped 1: depends on tool output" in result.output
    assert len(_read_jsonl(bfcl / "possible_answer" / "BFCL_v4_turnloom_parallel.json")) == 1


def test_cli_user_errors_exit_2_without_traceback(tmp_path: Path, dialogue_file: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(dialogue_file.read_text(encoding="utf-8").replace('"role":"user"', '"role":"human"', 1))
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["export", str(bad), "-f", "openai", "-o", str(out)])
    assert result.exit_code == 2
    assert f"{bad}:1: messages[1].role: Input should be" in result.output
    assert "Traceback" not in result.output and not out.exists()

    result = runner.invoke(app, ["export", str(tmp_path / "missing.jsonl"), "-f", "openai", "-o", str(out)])
    assert result.exit_code == 2 and "missing.jsonl: no such file" in result.output

    result = runner.invoke(app, ["export", str(dialogue_file), "-f", "alpaca", "-o", str(out)])
    assert result.exit_code == 2 and not out.exists()

    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    result = runner.invoke(app, ["export", str(dialogue_file), "-f", "bfcl", "-o", str(taken)])
    assert result.exit_code == 2 and "cannot write" in result.output
    assert taken.read_text() == "a file, not a folder"
