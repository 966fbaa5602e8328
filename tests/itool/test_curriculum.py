"""Curriculum: structural difficulty, ordered deterministic splits, ToolACE's NLL through a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from itool_helpers import LogprobServer, cli_app, make_dialogue, openai_messages, token_logprob, words
from typer.testing import CliRunner

from turnloom.itool import (
    EndpointNLL,
    build_curriculum,
    dialogue_nll,
    features,
    spearman,
    structural_score,
    terciles,
)
from turnloom.schema import Dialogue

runner = CliRunner()


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_features_count_what_makes_a_dialogue_hard(travel: list[Dialogue]) -> None:
    for d in travel:
        f = features(d)
        assert f["candidates"] == 4
        assert f["calls"] == len(d.calls) and f["distinct_tools"] == len({c.name for c in d.calls})
        assert f["turns"] == sum(1 for m in d.messages if m.role == "user")
        kinds = [s.kind for s in d.plan.steps]
        assert f["clarifications"] == kinds.count("clarification")
        if "parallel" in kinds:
            assert f["parallel_calls"] >= 2
        if "dependent" in kinds:
            assert f["dependency_depth"] >= 1
        if "error_recovery" in kinds:
            assert f["error_recoveries"] >= 1
    easy = make_dialogue([("chitchat", "Hi there!", "Hello! How can I help?")])
    hard = make_dialogue([("single", "Weather in Oslo?", [("get_weather", {"city": "Oslo"})]),
                          ("parallel", "Forecasts for Rome and Nice, 2 days?",
                           [("get_forecast", {"city": "Rome", "days": 2}),
                            ("get_forecast", {"city": "Nice", "days": 2})])])
    assert structural_score(features(easy)) < structural_score(features(hard))


def test_terciles_and_spearman() -> None:
    levels = terciles([("e", 5.0), ("a", 1.0), ("b", 1.0), ("c", 3.0), ("d", 4.0), ("f", 9.0), ("g", 9.5)])
    assert [levels[k] for k in "abcdefg"] == ["easy", "easy", "easy", "medium", "medium", "hard", "hard"]
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / 22.5 ** 0.5)  # ties: average ranks
    assert spearman([1, 1, 1], [1, 2, 3]) is None


def test_curriculum_cli_writes_ordered_deterministic_splits(travel_file: Path, tmp_path: Path) -> None:
    app = cli_app()
    for name in ("one", "two"):
        result = runner.invoke(app, ["curriculum", str(travel_file), "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    for f in ("easy.jsonl", "medium.jsonl", "hard.jsonl", "curriculum.jsonl", "sft.jsonl", "report.json"):
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f
    out = tmp_path / "one"
    report = json.loads((out / "report.json").read_text())
    order = report["order"]
    scores = [row["structural"] for row in order]
    assert scores == sorted(scores)
    assert [row["rank"] for row in order] == list(range(len(order)))
    splits = {lv: _ids(out / f"{lv}.jsonl") for lv in ("easy", "medium", "hard")}
    assert splits["easy"] + splits["medium"] + splits["hard"] == _ids(out / "curriculum.jsonl")
    assert [row["id"] for row in order] == _ids(out / "curriculum.jsonl")
    assert sorted(len(v) for v in splits.values())[-1] - sorted(len(v) for v in splits.values())[0] <= 1
    by_id = {row["id"]: row for row in order}
    assert max(by_id[i]["structural"] for i in splits["easy"]) <= min(by_id[i]["structural"] for i in splits["hard"])
    sft = [json.loads(line) for line in (out / "sft.jsonl").read_text().splitlines()]
    assert len(sft) == len(order) and set(sft[0]) == {"messages", "tools"}
    first = {json.loads(line)["id"]: json.loads(line) for line in (out / "curriculum.jsonl").read_text().splitlines()}
    assert sft[0]["messages"][1]["content"] == first[order[0]["id"]]["messages"][1]["content"]
    assert report["nll_model"] is None and report["spearman_structural_nll"] is None
    assert "easy" in result.output and "hard" in result.output


def _expected_nll(dialogue: Dialogue) -> float:
    tokens = [w for m in openai_messages(dialogue) if m["role"] == "assistant" for w in words(m)]
    return sum(-token_logprob(w) for w in tokens) / len(tokens)


def test_nll_from_prompt_logprobs_of_a_scripted_server(travel: list[Dialogue]) -> None:
    dialogue = travel[0]
    with LogprobServer() as server:
        scorer = EndpointNLL(f"openai:scripted-model@{server.url}")
        steps = scorer.score(dialogue)
        scorer.close()
        bodies = [r.body for r in server.chat_requests]
    assistant = [i for i, m in enumerate(dialogue.messages) if m.role == "assistant"]
    assert [s.index for s in steps] == assistant
    assert len(bodies) == 2 * len(assistant)
    assert bodies[0]["prompt_logprobs"] == 0 and bodies[0]["add_generation_prompt"] is True
    assert bodies[1]["continue_final_message"] is True and bodies[1]["messages"][-1]["role"] == "assistant"
    assert "tools" in bodies[0] and bodies[0]["max_tokens"] == 1
    assert dialogue_nll(steps) == pytest.approx(_expected_nll(dialogue), abs=1e-6)


def test_curriculum_with_model_reports_both_scores_and_their_correlation(travel_file: Path,
                                                                         travel: list[Dialogue],
                                                                         tmp_path: Path) -> None:
    with LogprobServer() as server:
        result = runner.invoke(cli_app(), ["curriculum", str(travel_file), "-o", str(tmp_path / "c"),
                                           "--model", f"openai:scripted-model@{server.url}"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "c" / "report.json").read_text())
    assert report["nll_model"].startswith("openai:scripted-model@")
    by_id = {row["id"]: row for row in report["order"]}
    for d in travel:
        assert by_id[d.id]["nll"] == pytest.approx(_expected_nll(d), abs=1e-5)
    cur = build_curriculum(travel)
    rho = spearman([e.structural for e in cur.entries], [by_id[e.id]["nll"] for e in cur.entries])
    assert report["spearman_structural_nll"] == rho and rho is not None
    assert "Spearman" in result.output


def test_a_server_without_prompt_logprobs_is_a_clear_error(travel_file: Path, tmp_path: Path) -> None:
    from itool_helpers import Reply, ScriptedOpenAIServer

    with ScriptedOpenAIServer(script=lambda body: Reply(content="x")) as server:
        result = runner.invoke(cli_app(), ["curriculum", str(travel_file), "-o", str(tmp_path / "c"),
                                           "--model", f"openai:m@{server.url}"])
    assert result.exit_code == 2 and "prompt_logprobs" in result.output
    assert not (tmp_path / "c").exists()
