"""Build the LLM-backed agents a run asks for, role by role (from model specs or
settings), with the request cache; the graph sees only the agent protocol."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from turnloom.agents._protocol import Agent

__all__ = ["MODEL_ROLES", "ModelSetupError", "build_model_agents", "model_configs", "text_completer"]

#: roles a model can back; "tool" is the LLM tool simulator, "verifier" the model judges
MODEL_ROLES = ("planner", "user", "assistant", "tool", "verifier")


class ModelSetupError(ValueError):
    """A model setting is wrong; the message names the role and what was expected."""


def model_configs(models: Mapping[str, Any]) -> dict[str, Any]:
    """role -> ``ModelConfig`` from specs (``openai:MODEL@URL``), mappings or configs."""
    from pydantic import ValidationError

    from turnloom.agents.llm._models import ModelConfig, ModelSpecError, parse_model_spec

    out: dict[str, Any] = {}
    for role, value in models.items():
        if role not in MODEL_ROLES:
            raise ModelSetupError(f"models.{role}: unknown role; expected one of {', '.join(MODEL_ROLES)}")
        try:
            if isinstance(value, ModelConfig):
                out[role] = value
            elif isinstance(value, str):
                out[role] = parse_model_spec(value)
            elif isinstance(value, Mapping):
                data = dict(value)
                spec = data.pop("spec", None)
                out[role] = parse_model_spec(spec, **data) if spec else ModelConfig.model_validate(data)
            else:
                raise ModelSetupError(f"models.{role}: expected a spec string or a mapping of settings")
        except (ModelSpecError, ValidationError, TypeError) as exc:
            raise ModelSetupError(f"models.{role}: {exc}") from exc
    return out


def build_model_agents(models: Mapping[str, Any], *, cache_path: Path | None,
                       skip: set[str] | frozenset[str] = frozenset()) -> dict[str, Agent]:
    """LLM agents for every configured role not in ``skip`` (roles given an explicit agent)."""
    configs = model_configs(models)
    if not configs:
        return {}
    from turnloom.agents.llm import LLM_AGENTS
    from turnloom.agents.verify.judges import DualLayerVerifier

    built: dict[str, Agent] = {}
    for role, cfg in configs.items():
        if role in skip:
            continue
        agent = LLM_AGENTS[role].from_config(cfg, cache_path=cache_path)
        built[role] = DualLayerVerifier(judges=agent) if role == "verifier" else agent  # type: ignore[assignment]
    return built


def text_completer(model: Any, *, cache_path: Path | None = None) -> Any:
    """``async (prompt) -> text`` on a configured model (cache, retries and limits included),
    for model-backed steps outside the dialogue graph such as pool evolution. A request that
    still fails after the retries answers ``""``, which the caller rejects like any unusable
    answer."""
    from autogen_core.models import UserMessage

    from turnloom.agents.llm._models import make_client

    cfg = model_configs({"assistant": model})["assistant"]
    client = make_client(cfg, cache_path=cache_path)

    async def complete(prompt: str) -> str:
        try:
            result = await client.create([UserMessage(content=prompt, source="user")])
        except Exception:  # a failed request is one rejected candidate, not a failed run
            return ""
        return result.content if isinstance(result.content, str) else ""

    return complete
