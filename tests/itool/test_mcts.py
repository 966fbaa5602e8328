"""MCTS preference pairs: verifiable rewards, determinism, filters, TRL format, policy samples."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from itool_helpers import Reply, ScriptedOpenAIServer, cli_app
from typer.testing import CliRunner

from turnloom.agents._protocol import AgentView
from turnloom.agents.verify.verifier import RuleVerifier
from turnloom.itool import (
    PERTURBATIONS,
    MCTSConfig,
    ModelPolicy,
    Node,
    StepTree,
    assistant_steps,
    make_policy,
    match_step,
    perturb_step,
    pick_pair,
    replay_env,
    run_mcts,
    score_action,
)
from turnloom.itool._distributed import _mcts_chunk
from turnloom.itool._mcts import merge_searches, search_dialogue
from turnloom.schema import Dialogue, Message, ToolCall
from turnloom.tools_env.world import World

runner = CliRunner()


def _message(trl: dict[str, Any]) -> Message:
    calls = [ToolCall(id=c["id"], name=c["function"]["name"], arguments=c["function"]["arguments"])
             for c in trl.get("tool_calls") or []]
    return Message(role="assistant", content=trl.get("content") or "", tool_calls=calls)


def _verdict(dialogue: Dialogue, index: int, action: Message) -> bool:
    """The rule verifier's turn verdict on ``action`` after the gold prefix, executed from scratch."""
    replay = replay_env(dialogue)
    prefix = dialogue.messages[:index]
    world = World.model_validate(dialogue.world_initial)
    for m in prefix:
        for c in m.tool_calls:
            world, _ = replay.env.call(world, c)
    tool_msgs = []
    for c in action.tool_calls:
        world, result = replay.env.call(world, c)
        tool_msgs.append(Message(role="tool", content=result.to_text(), tool_call_id=c.id, name=c.name, result=result))
    view = AgentView(role="verifier", seed=0, tools=dialogue.tools, messages=[*prefix, action, *tool_msgs],
                     context={**replay.context, "scope": "turn", "start": len(prefix)})
    return RuleVerifier().verify(view).accepted and all(t.result is None or t.result.ok for t in tool_msgs)


def test_pairs_prefer_the_verified_gold_step(travel: list[Dialogue]) -> None:
    dialogues = travel[:2]
    result = asyncio.run(run_mcts(dialogues, MCTSConfig(seed=5)))
    assert result.pairs and result.stats["kept"] == len(result.pairs) and result.stats["not_replayable"] == 0
    by_id = {d.id: d for d in dialogues}
    depths = set()
    for pair in result.pairs:
        assert set(pair) == {"prompt", "chosen", "rejected", "tools", "meta"}
        meta = pair["meta"]
        d = by_id[meta["dialogue_id"]]
        gold = d.messages[meta["message_index"]]
        chosen, rejected = _message(pair["chosen"][0]), _message(pair["rejected"][0])
        assert match_step(chosen, gold, d.tools).ok
        assert not match_step(rejected, gold, d.tools).ok
        assert meta["chosen"]["matches_gold"] and not meta["chosen"]["failed_rules"]
        assert meta["gap"] >= 0.1 and meta["overlap"] <= 0.95 and meta["chosen"]["value"] >= -0.3
        assert meta["rejected"]["source"].startswith("perturbation:")
        depths.add(meta["depth"])
        if meta["depth"] == 0:  # the prompt is the gold prefix: check the verdicts from scratch
            assert pair["prompt"][-1]["content"] == (d.messages[meta["message_index"] - 1].content or "")
            assert _verdict(d, meta["message_index"], chosen)
            assert not (_verdict(d, meta["message_index"], rejected) and match_step(rejected, gold, d.tools).ok)
        assert pair["prompt"][0]["role"] == "system" and pair["chosen"][0]["role"] == "assistant"
        assert [t["function"]["name"] for t in pair["tools"]] == [t.name for t in d.tools]
    assert depths == {0, 1, 2}  # search goes three steps deep along the gold path


def test_same_seed_same_pairs(travel: list[Dialogue], travel_file: Path, tmp_path: Path) -> None:
    a = asyncio.run(run_mcts(travel[:2], MCTSConfig(seed=9)))
    b = asyncio.run(run_mcts(travel[:2], MCTSConfig(seed=9)))
    assert a.pairs == b.pairs and a.stats == b.stats
    app = cli_app()
    outs = []
    for name in ("one", "two"):
        out = tmp_path / f"{name}.jsonl"
        result = runner.invoke(app, ["mcts", str(travel_file), "-o", str(out), "--seed", "4", "--iterations", "3"])
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and outs[0].count(b"\n") > 0


def test_value_gap_similarity_and_chosen_value_filters(travel: list[Dialogue]) -> None:
    base = asyncio.run(run_mcts(travel[:1], MCTSConfig(seed=2)))
    sets = base.stats["sibling_sets"]
    assert base.stats["kept"] == sets > 0
    gap = asyncio.run(run_mcts(travel[:1], MCTSConfig(seed=2, min_gap=5.0)))
    assert gap.pairs == [] and gap.stats["dropped"]["gap"] == sets
    limit = 0.3
    similar = sum(1 for p in base.pairs if p["meta"]["overlap"] > limit)
    assert 0 < similar < sets
    overlap = asyncio.run(run_mcts(travel[:1], MCTSConfig(seed=2, max_overlap=limit)))
    assert overlap.stats["dropped"]["overlap"] == similar and len(overlap.pairs) == sets - similar
    assert all(p["meta"]["overlap"] <= limit for p in overlap.pairs)
    low = asyncio.run(run_mcts(travel[:1], MCTSConfig(seed=2, min_chosen=1.5)))
    assert low.pairs == [] and low.stats["dropped"]["chosen_value"] == sets


def _leaf(text: str, value: float) -> Node:
    return Node([], World(), None, 1, Message(role="assistant", content=text), n=1, value=value)


def test_pick_pair_rules() -> None:
    cfg = MCTSConfig()
    chosen, rejected, why = pick_pair([_leaf("book the flight now", 0.9), _leaf("search flights", -0.5)], cfg)
    assert why is None and chosen.mean == 0.9 and rejected.mean == -0.5
    assert pick_pair([_leaf("a b c", 0.5), _leaf("x y z", 0.45)], cfg)[2] == "gap"
    same = "the flight FLI-00001 leaves at 14:45 from Port Jared to Evansside on 2024-12-03 with seat 10C today"
    assert pick_pair([_leaf(same, 0.9), _leaf(same + " ok", -0.5)], cfg)[2] == "overlap"
    assert pick_pair([_leaf("a b c", -0.35), _leaf("x y z", -0.9)], cfg)[2] == "chosen_value"


def test_uct_selection_follows_the_formula(travel: list[Dialogue]) -> None:
    d = travel[0]
    tree = StepTree(d, next(s.index for s in assistant_steps(d)), MCTSConfig())
    root = tree.root
    root.n = 10
    a, b = _leaf("a", 0.0), _leaf("b", 0.0)
    a.n, a.value, a.prior = 5, 4.0, 0.1  # 4/6 + 0.1·sqrt(ln10/6) ≈ 0.729
    b.n, b.value, b.prior = 1, 0.2, 0.9  # 0.2/2 + 0.9·sqrt(ln10/2) ≈ 1.066
    root.children = [a, b]
    assert tree._select(root) is b
    b.prior = 0.1  # 0.1 + 0.1·sqrt(ln10/2) ≈ 0.207
    assert tree._select(root) is a


def test_every_perturbation_misses_the_gold_step(travel: list[Dialogue]) -> None:
    seen = set()
    for d in travel:
        replay = replay_env(d)
        verifier = RuleVerifier()
        world = World.model_validate(d.world_initial)
        for step in assistant_steps(d):
            gold_out = score_action(replay, verifier, step.prefix, world, step.gold, step.gold, d.tools)
            assert gold_out.reward == 1.0 and gold_out.matches_gold and gold_out.passes_rules
            for name, action in perturb_step(step.gold, d.tools, step.prefix, seed=step.index):
                seen.add(name)
                assert not match_step(action, step.gold, d.tools).ok, (name, action)
                assert score_action(replay, verifier, step.prefix, world, action, step.gold, d.tools).reward < 1.0
            for c in step.gold.tool_calls:
                world, _ = replay.env.call(world, c)
    assert seen == set(PERTURBATIONS)


def test_policy_samples_join_the_actions(travel: list[Dialogue]) -> None:
    d = travel[0]
    first_call = next(s for s in assistant_steps(d) if s.calls)

    def script(body: dict[str, Any]) -> Reply:
        return Reply(calls=[("search_hotels", {"city": "Atlantis", "check_in": "2030-01-01",
                                               "check_out": "2030-01-02"})])

    with ScriptedOpenAIServer(script=script) as server:
        async def go() -> Node:
            policy = ModelPolicy(f"openai:scripted-model@{server.url}", samples=2, temperature=1.0, seed=1)
            try:
                return await StepTree(d, first_call.index, MCTSConfig(seed=1, iterations=1, depth=1),
                                      policy=policy).run()
            finally:
                await policy.close()

        root = asyncio.run(go())
        bodies = [r.body for r in server.chat_requests]
    assert len(bodies) == 2 and {b["temperature"] for b in bodies} == {1.0}
    assert len({b.get("seed") for b in bodies}) == 2  # differently seeded samples
    by_source = {c.source: c for c in root.children}
    policy_child, gold_child = by_source["policy"], by_source["gold"]
    weights = len(root.children) + 1  # two equal samples merged into one child of weight 2
    assert policy_child.prior == pytest.approx(2 / weights) and gold_child.prior == pytest.approx(1 / weights)
    assert policy_child.outcome is not None and not policy_child.outcome.matches_gold
    assert "grounded_args" in policy_child.outcome.failed_rules  # "Atlantis" appears nowhere in the dialogue
    assert policy_child.mean < gold_child.mean == 1.0
    chosen, rejected, why = pick_pair(root.children, MCTSConfig())
    assert why is None and chosen is gold_child and rejected.source != "gold"


@pytest.mark.parametrize("bad", [["--iterations", "0"], ["--model", "vllm:x"]])
def test_mcts_cli_rejects_bad_options(travel_file: Path, tmp_path: Path, bad: list[str]) -> None:
    result = runner.invoke(cli_app(), ["mcts", str(travel_file), "-o", str(tmp_path / "p.jsonl"), *bad])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "p.jsonl").exists()


def test_pairs_file_rows_are_trl_preference_rows(travel_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    result = runner.invoke(cli_app(), ["mcts", str(travel_file), "-o", str(out), "--depth", "1"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["meta"]["depth"] == 0 for r in rows)
    call_rows = [r for r in rows if r["chosen"][0].get("tool_calls")]
    assert call_rows
    call = call_rows[0]["chosen"][0]["tool_calls"][0]
    assert call["type"] == "function" and isinstance(call["function"]["arguments"], dict)
    assert "pairs" in result.output


def test_per_dialogue_searches_merged_in_order_are_run_mcts(travel: list[Dialogue]) -> None:
    cfg = MCTSConfig(seed=3, iterations=4)
    twin = travel[0].model_copy(update={"id": travel[0].id + "-twin"})  # other seeds, some equal pairs
    for dialogues in ([travel[0], travel[1], travel[0]], [travel[0], twin], travel[2:5]):
        whole = asyncio.run(run_mcts(dialogues, cfg))
        parts = [asyncio.run(search_dialogue(d, cfg)) for d in dialogues]
        merged = merge_searches(parts)
        assert merged.pairs == whole.pairs and merged.stats == whole.stats
        assert json.dumps(merged.stats) == json.dumps(whole.stats)  # same key order too
        assert [p.dialogue_id for p in parts] == [d.id for d in dialogues]
        assert sum(len(p.rows) for p in parts) == whole.stats["kept"] + whole.stats["dropped"]["duplicate"]
    same = merge_searches([asyncio.run(search_dialogue(travel[0], cfg))] * 2)
    alone = asyncio.run(run_mcts([travel[0]], cfg))
    assert same.pairs == alone.pairs and same.stats["dropped"]["duplicate"] == alone.stats["kept"] > 0
    assert merge_searches([asyncio.run(search_dialogue(d, cfg)) for d in (travel[0], twin)]).stats["dropped"][
        "duplicate"] > 0  # the filter spans dialogues: the gold step's pairs recur under another id
    empty = merge_searches([])
    assert empty.pairs == [] and empty.stats == asyncio.run(run_mcts([], cfg)).stats


def test_ray_task_function_searches_like_run_mcts(travel: list[Dialogue]) -> None:
    """The body of a ``mcts_on_ray`` task (dialogues as JSON lines, the policy rebuilt), without Ray."""
    cfg = MCTSConfig(seed=1, iterations=3, depth=2)
    dialogues = travel[:3]
    lines = [d.model_dump_json() for d in dialogues]
    parts = _mcts_chunk(lines[:2], cfg, "offline", 3, 1.0, None) + _mcts_chunk(lines[2:], cfg, "offline", 3, 1.0, None)
    whole = asyncio.run(run_mcts(dialogues, cfg, policy=make_policy("offline")))
    assert merge_searches(parts) == whole
    assert merge_searches(_mcts_chunk(lines, cfg, None, 3, 1.0, None)) == asyncio.run(run_mcts(dialogues, cfg))


@pytest.mark.parametrize("ray_missing", [False, True])
def test_mcts_cli_executor_errors(travel_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  ray_missing: bool) -> None:
    if ray_missing:
        monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    executor = "ray" if ray_missing else "dask"
    out = tmp_path / "p.jsonl"
    result = runner.invoke(cli_app(), ["mcts", str(travel_file), "-o", str(out), "--executor", executor])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert ("pip install 'turnloom[ray]'" if ray_missing else "--executor 'dask': expected local or ray") in text
    assert not out.exists()


def test_eval_cli_without_ray_fails_cleanly(travel_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``eval`` shares the executor checks of ``mcts`` (it used to fail with a traceback without Ray)."""
    monkeypatch.setitem(sys.modules, "ray", None)
    result = runner.invoke(cli_app(), ["eval", str(travel_file), "--model", "offline", "-o", str(tmp_path / "ev"),
                                       "--executor", "ray"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "pip install 'turnloom[ray]'" in " ".join(result.output.split())
    assert not (tmp_path / "ev").exists()
