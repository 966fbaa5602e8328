"""Helpers of the iTool tests: small dialogues, a CLI app, and a scripted server that scores
prompt tokens (vLLM's ``prompt_logprobs``)."""

from __future__ import annotations

import json
import re
from typing import Any

import typer
from scripted_server import Reply, ScriptedOpenAIServer

from turnloom.cli import itool as itool_cli
from turnloom.schema import Dialogue, Message, Plan, PlanStep, ToolCall, ToolSpec, Verdict
from turnloom.tools_env.env import ToolEnvironment

__all__ = ["FORECAST", "WEATHER", "LogprobServer", "Reply", "ScriptedOpenAIServer", "cli_app", "make_dialogue",
           "token_logprob", "words"]

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"},
                                                 "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                                                          "default": "celsius"}},
                "required": ["city"]},
    returns={"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
             "required": ["city", "temperature"]},
    domain="weather",
)
FORECAST = ToolSpec(
    name="get_forecast",
    description="Forecast for a city over the next days.",
    parameters={"type": "object", "properties": {"city": {"type": "string"},
                                                 "days": {"type": "integer", "minimum": 1, "maximum": 10}},
                "required": ["city", "days"]},
    returns={"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
             "required": ["city", "days"]},
    domain="weather",
)


def cli_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """turnloom (test app)."""

    itool_cli.register(app)
    return app


def make_dialogue(turns: list[tuple[str, Any, str]], tools: list[ToolSpec] | None = None,
                  dialogue_id: str = "weather-0") -> Dialogue:
    """A verified-looking dialogue from (kind, user text, assistant text | [(tool, args)]) plan steps.

    A step whose third item is a list of calls gets the calls, their executed tool results
    and a summary reply; a text step gets the text reply.
    """
    tools = tools or [WEATHER, FORECAST]
    env = ToolEnvironment(tools)
    world = env.new_world(seed=3)
    start = world
    messages: list[Message] = [Message(role="system", content="You are a weather assistant.")]
    steps = []
    for i, (kind, user, answer) in enumerate(turns):
        steps.append(PlanStep(index=i, kind=kind, intent=user,
                              tools=[n for n, _ in answer] if isinstance(answer, list) else []))
        messages.append(Message(role="user", content=user, step=i))
        if isinstance(answer, list):
            calls = [ToolCall(id=f"call_{i}_{k}", name=n, arguments=a) for k, (n, a) in enumerate(answer)]
            messages.append(Message(role="assistant", content="", tool_calls=calls, step=i))
            for c in calls:
                world, result = env.call(world, c)
                messages.append(Message(role="tool", content=result.to_text(), tool_call_id=c.id, name=c.name,
                                        result=result, step=i))
            messages.append(Message(role="assistant", content="Here is what I found.", step=i))
        else:
            messages.append(Message(role="assistant", content=answer, step=i))
    return Dialogue(id=dialogue_id, scenario="weather-test", index=0, seed=3, tools=tools, plan=Plan(steps=steps),
                    messages=messages, world_initial=start.model_dump(mode="json"),
                    world_final=world.model_dump(mode="json"), verdict=Verdict(accepted=True))


_WORD = re.compile(r"\S+")


def words(message: dict[str, Any]) -> list[str]:
    """The scripted server's "tokens" of one OpenAI-format message."""
    text = str(message.get("content") or "")
    for call in message.get("tool_calls") or []:
        text += f" {call['function']['name']} {call['function']['arguments']}"
    return _WORD.findall(text)


def token_logprob(word: str) -> float:
    return -len(word) / 4


class LogprobServer(ScriptedOpenAIServer):
    """Answers every chat request with vLLM-style ``prompt_logprobs`` for a simple rendering:
    each message is a role marker followed by its words; ``add_generation_prompt`` adds an
    assistant marker; the first prompt token has no log-prob (``null``)."""

    def __init__(self) -> None:
        super().__init__(script=lambda body: Reply(content="ok"))

    def _completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        out = super()._completion(body, reply)
        tokens: list[str] = []
        for m in body.get("messages", []):
            tokens += [f"<{m['role']}>", *words(m)]
        if body.get("add_generation_prompt", True) and not body.get("continue_final_message"):
            tokens.append("<assistant>")
        entries: list[Any] = [None]
        for k, tok in enumerate(tokens[1:], 1):
            lp = -0.1 if tok.startswith("<") else token_logprob(tok)
            entries.append({str(k): {"logprob": lp, "rank": 1, "decoded_token": tok}})
        out["prompt_logprobs"] = entries
        return out


def openai_messages(dialogue: Dialogue) -> list[dict[str, Any]]:
    from turnloom.export._openai import openai_message

    return [openai_message(m) for m in dialogue.messages]


def dump(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)
