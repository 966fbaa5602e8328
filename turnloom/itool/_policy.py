"""Policies: what produces an assistant step from a prefix and the tools.

* ``offline`` -- the offline assistant (:class:`~turnloom.agents.offline.OfflineAssistant`),
  deterministic; it runs without a model. It is the assistant that made the offline data,
  so it scores 100% on it;
* ``offline:errors=RATE[,modes=MODE+MODE...]`` -- the same assistant making the mistakes a
  weak model makes: with probability RATE per step (seeded by the step) its answer is
  replaced by one of the structured perturbations of :mod:`turnloom.itool._perturb`
  (``wrong_tool``, ``missing_required``, ``wrong_value`` -- a hallucinated value --,
  ``extra_param``, ``swapped_params``, ``premature_answer`` -- a skipped call --,
  ``spurious_call``), all of them unless ``modes`` names some. A policy that differs from
  the data generator, so that ``eval``, ``mine`` and ``mcts`` find real deficiencies offline.
* ``openai:MODEL@URL`` -- any OpenAI-compatible endpoint through the project's LLM
  assistant (:class:`~turnloom.agents.llm.LLMAssistant`, autogen behind it): greedy
  (temperature 0) for :meth:`Policy.act`, and ``samples`` differently seeded clients at
  ``temperature`` for :meth:`Policy.sample` (MCTS actions). With a cache path, answers
  are cached in SQLite, so a rerun asks the model nothing. A model that fails for good
  (unreachable, timing out, server errors after the retries) raises
  :class:`~turnloom.agents.ModelUnavailableError` rather than passing for a wrong answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from turnloom.agents._protocol import AgentError, AgentView, ModelUnavailableError
from turnloom.schema import Message, ToolSpec, derive_seed

__all__ = ["ModelPolicy", "NoisyOfflinePolicy", "OfflinePolicy", "Policy", "PolicyAnswer", "make_policy"]


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


class NoisyOfflinePolicy(OfflinePolicy):
    """The offline assistant with error modes (see the module docstring)."""

    def __init__(self, rate: float, modes: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.rate = rate
        self.modes = modes
        self.spec = f"offline:errors={rate:g}" + (f",modes={'+'.join(modes)}" if modes else "")

    async def act(self, prefix: list[Message], tools: list[ToolSpec], seed: int) -> PolicyAnswer:
        from turnloom.itool._perturb import perturb_step

        answer = await super().act(prefix, tools, seed)
        rng = random.Random(derive_seed(seed, "error-mode"))
        if answer.message is None or rng.random() >= self.rate:
            return answer
        options = [msg for name, msg in perturb_step(answer.message, tools, prefix, seed)
                   if not self.modes or name in self.modes]
        return PolicyAnswer(rng.choice(options)) if options else answer


def _noisy(spec: str) -> NoisyOfflinePolicy:
    from turnloom.agents.llm._models import ModelSpecError
    from turnloom.itool._perturb import PERTURBATIONS

    expected = "offline:errors=RATE[,modes=MODE+MODE], RATE from 0 to 1"
    fields: dict[str, str] = {}
    for part in spec.partition(":")[2].split(","):
        key, eq, value = part.partition("=")
        if not eq or key.strip() not in ("errors", "modes"):
            raise ModelSpecError(f"policy {spec!r}: expected {expected}")
        fields[key.strip()] = value.strip()
    try:
        rate = float(fields.get("errors", ""))
    except ValueError:
        raise ModelSpecError(f"policy {spec!r}: expected {expected}") from None
    modes = tuple(m for m in fields.get("modes", "").split("+") if m)
    unknown = [m for m in modes if m not in PERTURBATIONS]
    if not 0 <= rate <= 1 or unknown:
        raise ModelSpecError(f"policy {spec!r}: expected {expected}"
                             + (f"; unknown modes {unknown}, known: {', '.join(PERTURBATIONS)}" if unknown else ""))
    return NoisyOfflinePolicy(rate, modes)


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
    """``offline``, ``offline:errors=RATE[,modes=...]`` or a model spec (raises
    ``ModelSpecError`` for a bad spec)."""
    if spec == "offline":
        return OfflinePolicy()
    if spec.startswith("offline:"):
        return _noisy(spec)
    from turnloom.agents.llm._models import ModelSpecError

    try:
        return ModelPolicy(spec, **kwargs)
    except ModelSpecError as exc:
        raise ModelSpecError(f"{exc}; or 'offline' for the offline assistant") from exc
