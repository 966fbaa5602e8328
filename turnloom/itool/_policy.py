"""Policies: what produces an assistant step from a prefix and the tools.

* ``offline`` -- the offline assistant (:class:`~turnloom.agents.offline.OfflineAssistant`),
  deterministic; it runs without a model.
* ``openai:MODEL@URL`` -- any OpenAI-compatible endpoint through the project's LLM
  assistant (:class:`~turnloom.agents.llm.LLMAssistant`, autogen behind it): greedy
  (temperature 0) for :meth:`Policy.act`, and ``samples`` differently seeded clients at
  ``temperature`` for :meth:`Policy.sample` (MCTS actions). With a cache path, answers
  are cached in SQLite, so a rerun asks the model nothing. A model that fails for good
  (unreachable, timing out, server errors after the retries) raises
  :class:`~turnloom.agents.ModelUnavailableError` rather than passing for a wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from turnloom.agents._protocol import AgentError, AgentView, ModelUnavailableError
from turnloom.schema import Message, ToolSpec, derive_seed

__all__ = ["ModelPolicy", "OfflinePolicy", "Policy", "PolicyAnswer", "make_policy"]


@dataclass(frozen=True)
class PolicyAnswer:
    message: Message | None
    error: str | None = None


class Policy(Protocol):
    spec: str

    async def act(self, prefix: list[Message], tools: list[ToolSpec], seed: int) -> PolicyAnswer: ...

    async def sample(self, prefix: list[Message], tools: list[ToolSpec], seed: int) -> list[Message]: ...

    async def close(self) -> None: ...


def _view(prefix: list[Message], tools: list[ToolSpec], seed: int) -> AgentView:
    return AgentView(role="assistant", seed=seed, tools=list(tools), messages=list(prefix))


def _first_assistant(messages: list[Message]) -> Message | None:
    return next((m for m in messages if m.role == "assistant"), None)


class OfflinePolicy:
    spec = "offline"

    def __init__(self) -> None:
        from turnloom.agents.offline import OfflineAssistant

        self.agent = OfflineAssistant()

    async def act(self, prefix: list[Message], tools: list[ToolSpec], seed: int) -> PolicyAnswer:
        try:
            out = await self.agent.act(_view(prefix, tools, seed))
        except AgentError as exc:
            return PolicyAnswer(None, str(exc))
        msg = _first_assistant(out.messages)
        return PolicyAnswer(msg, None if msg is not None else "no assistant message")

    async def sample(self, prefix: list[Message], tools: list[ToolSpec], seed: int) -> list[Message]:
        answer = await self.act(prefix, tools, seed)
        return [answer.message] if answer.message is not None else []

    async def close(self) -> None:
        return None


class ModelPolicy:
    def __init__(self, spec: str, *, cache_path: Path | None = None, temperature: float = 1.0, samples: int = 3,
                 seed: int = 0, **settings: Any) -> None:
        from turnloom.agents.llm import LLMAssistant, parse_model_spec

        self.spec = spec
        cfg = parse_model_spec(spec, **settings)
        self.greedy = LLMAssistant.from_config(cfg.model_copy(update={"temperature": 0.0}), cache_path=cache_path)
        self.samplers = [
            LLMAssistant.from_config(
                cfg.model_copy(update={"temperature": temperature, "seed": derive_seed(seed, "sampler", k) % 2**31}),
                cache_path=cache_path,
            )
            for k in range(max(0, samples))
        ]

    async def act(self, prefix: list[Message], tools: list[ToolSpec], seed: int) -> PolicyAnswer:
        try:
            out = await self.greedy.act(_view(prefix, tools, seed))
        except ModelUnavailableError:
            raise
        except AgentError as exc:
            return PolicyAnswer(None, str(exc))
        msg = _first_assistant(out.messages)
        return PolicyAnswer(msg, None if msg is not None else "no assistant message")

    async def sample(self, prefix: list[Message], tools: list[ToolSpec], seed: int) -> list[Message]:
        out = []
        for k, agent in enumerate(self.samplers):
            try:
                result = await agent.act(_view(prefix, tools, derive_seed(seed, "sample", k)))
            except ModelUnavailableError:
                raise
            except AgentError:
                continue  # an unusable sample is simply not a candidate
            msg = _first_assistant(result.messages)
            if msg is not None:
                out.append(msg)
        return out

    async def close(self) -> None:
        for agent in [self.greedy, *self.samplers]:
            await agent.close()


def make_policy(spec: str, **kwargs: Any) -> Policy:
    """``offline`` or a model spec (raises ``ModelSpecError`` for a bad spec)."""
    if spec == "offline":
        return OfflinePolicy()
    from turnloom.agents.llm._models import ModelSpecError

    try:
        return ModelPolicy(spec, **kwargs)
    except ModelSpecError as exc:
        raise ModelSpecError(f"{exc}; or 'offline' for the offline assistant") from exc
