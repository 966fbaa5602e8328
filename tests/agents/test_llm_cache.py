"""The SQLite response cache: reruns are served from disk, identical, and never hold secrets."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from agent_helpers import WEATHER, fast_config
from autogen_core.models import CreateResult, RequestUsage, UserMessage
from scripted_server import ScriptedOpenAIServer, json_reply, text, tool_call

from turnloom.agents._protocol import AgentView
from turnloom.agents.llm import LLMAssistant, LLMJudge, LLMPlanner
from turnloom.agents.llm._cache import SqliteCacheStore
from turnloom.agents.llm._models import make_client
from turnloom.schema import Message


def test_store_round_trip_and_namespaces(tmp_path: Path) -> None:
    result = CreateResult(finish_reason="stop", content="hi", usage=RequestUsage(3, 4), cached=False)
    a = SqliteCacheStore[object](tmp_path / "c.db", namespace="model-a")
    b = SqliteCacheStore[object](tmp_path / "c.db", namespace="model-b")
    a.set("k", result)
    assert CreateResult.model_validate(a.get("k")) == result
    assert b.get("k") is None and b.get("k", "default") == "default"
    assert a.count() == 1 and bool(SqliteCacheStore(tmp_path / "empty.db"))  # empty stores stay truthy
    a.close()
    b.close()
    with pytest.raises(RuntimeError, match="closed"):
        a.get("k")


def test_store_is_safe_under_concurrent_tasks(tmp_path: Path) -> None:
    store = SqliteCacheStore[object](tmp_path / "c.db")

    async def worker(i: int) -> object:
        await asyncio.sleep(0)
        store.set(f"k{i}", {"value": i})
        await asyncio.sleep(0)
        return store.get(f"k{i}")

    async def main() -> list[object]:
        return list(await asyncio.gather(*(worker(i) for i in range(50))))

    assert asyncio.run(main()) == [{"value": i} for i in range(50)]
    assert store.count() == 50


def test_rerun_is_served_from_sqlite(server: ScriptedOpenAIServer, tmp_path: Path) -> None:
    server.push(tool_call("get_weather", {"city": "Oslo"}))
    cfg = fast_config(server.url)
    db = tmp_path / "cache.db"

    async def once() -> tuple[object, dict[str, int]]:
        client = make_client(cfg, cache_path=db)  # a fresh client each run, as a rerun would
        result = await client.create([UserMessage(content="weather?", source="user")])
        await client.close()
        return result, client.usage.as_dict()

    first, first_usage = asyncio.run(once())
    second, second_usage = asyncio.run(once())
    assert len(server.chat_requests) == 1  # the rerun never reached the server
    assert first.content == second.content  # type: ignore[attr-defined]
    assert (first.cached, second.cached) == (False, True)  # type: ignore[attr-defined]
    assert first_usage["cached"] == 0 and second_usage == {
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "requests": 1,
        "cached": 1,
        "sent": 0,
        "retries": 0,
        "timeouts": 0,
        "errors": 0,
    }


def test_agents_never_bypass_the_cache(server: ScriptedOpenAIServer, tmp_path: Path) -> None:
    """Every role's request goes through the cache: rerunning an act sends nothing."""
    db = tmp_path / "cache.db"
    cfg = fast_config(server.url)
    plan = {
        "goal": "weather",
        "steps": [{"kind": "single", "intent": "weather in Oslo", "tools": ["get_weather"], "slots": {"city": "Oslo"}}],
    }
    server.push(
        tool_call("get_weather", {"city": "Oslo"}),
        json_reply(plan),
        json_reply({"passed": True, "reason": "every value matches the dialogue"}),
        json_reply({"passed": True, "reason": "every value matches the dialogue"}),
    )
    asst_view = AgentView(role="assistant", seed=1, tools=[WEATHER], messages=[Message(role="user", content="Oslo?")])
    plan_view = AgentView(role="planner", seed=2, tools=[WEATHER], context={"steps": 1, "mix": {"single": 1}})
    judge_view = AgentView(role="verifier", seed=3, tools=[WEATHER], messages=[Message(role="user", content="Oslo?")])

    async def run_all() -> list[object]:
        outs = []
        for cls, view in ((LLMAssistant, asst_view), (LLMPlanner, plan_view), (LLMJudge, judge_view)):
            agent = cls.from_config(cfg, cache_path=db)
            if isinstance(agent, LLMJudge):
                agent.experts = ("consistency",)
            outs.append(await agent.act(view))
            await agent.close()
        return outs

    first = asyncio.run(run_all())
    sent = len(server.chat_requests)
    second = asyncio.run(run_all())
    assert len(server.chat_requests) == sent == 3
    for a, b in zip(first, second, strict=True):
        assert a.model_dump(exclude={"usage"}) == b.model_dump(exclude={"usage"})  # type: ignore[attr-defined]
        assert b.usage["cached"] == b.usage["requests"] == 1  # type: ignore[attr-defined]


def test_api_key_never_reaches_the_cache(
    server: ScriptedOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-live-do-not-store-0123456789"
    monkeypatch.setenv("TURNLOOM_TEST_KEY", secret)
    server.push(text("cached answer"))
    db = tmp_path / "cache.db"

    async def main() -> None:
        client = make_client(fast_config(server.url, api_key_env="TURNLOOM_TEST_KEY"), cache_path=db)
        await client.create([UserMessage(content="hello", source="user")])
        await client.close()

    asyncio.run(main())
    assert server.chat_requests[0].headers["authorization"] == f"Bearer {secret}"
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert secret.encode() not in raw
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT key, namespace, value FROM responses").fetchall()
    assert len(rows) == 1 and "cached answer" in rows[0][2]
    assert all(secret not in str(cell) for row in rows for cell in row)
