"""Build the LLM-backed agents a run asks for, role by role (from model specs or
settings), with the request cache; the graph sees only the agent protocol.

:func:`check_models` is the preflight every model-backed command runs before any work
(``run``, ``eval``, ``mcts``, ``itool``, ``pool evolve``): each configured endpoint is
asked once, all at once, within a short timeout, and a dead, unreachable or refusing one
stops the command with one line naming the role, the endpoint and the error."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from turnloom.agents._protocol import Agent

__all__ = ["ALL_ROLES", "MODEL_ROLES", "PREFLIGHT_TIMEOUT", "ModelSetupError", "build_model_agents", "check_models",
           "expand_roles", "model_configs", "text_completer", "with_settings"]

#: roles a model can back; "tool" is the LLM tool simulator, "verifier" the model judges
MODEL_ROLES = ("planner", "user", "assistant", "tool", "verifier")
#: the role name that stands for every role not given its own model
ALL_ROLES = "*"


#: seconds each endpoint has to answer the preflight
PREFLIGHT_TIMEOUT = 10.0


class ModelSetupError(ValueError):
    """A model setting is wrong, or its endpoint does not answer; the message names the role."""


def expand_roles(models: Mapping[str, Any]) -> dict[str, Any]:
    """``models`` with ``*`` replaced by each of :data:`MODEL_ROLES` not given its own model."""
    out = {role: value for role, value in models.items() if role != ALL_ROLES}
    if ALL_ROLES in models:
        for role in MODEL_ROLES:
            out.setdefault(role, models[ALL_ROLES])
    return out


def with_settings(models: Mapping[str, Any], **settings: Any) -> dict[str, Any]:
    """``models`` with ``settings`` (e.g. ``concurrency=1``) set on every role's model, whatever
    its form (a spec, a mapping of settings or a ``ModelConfig``)."""
    if not settings:
        return dict(models)
    out: dict[str, Any] = {}
    for role, value in models.items():
        if isinstance(value, str):
            out[role] = {"spec": value, **settings}
        elif isinstance(value, Mapping):
            out[role] = {**value, **settings}
        elif hasattr(value, "model_copy"):
            out[role] = value.model_copy(update=settings)
        else:
            out[role] = value
    return out


def model_configs(models: Mapping[str, Any]) -> dict[str, Any]:
    """role -> ``ModelConfig`` from specs (``openai:MODEL@URL``), mappings or configs
    (``*`` stands for every role not given its own)."""
    from pydantic import ValidationError

    from turnloom.agents.llm._models import ModelConfig, ModelSpecError, parse_model_spec

    out: dict[str, Any] = {}
    for role, value in expand_roles(models).items():
        if role not in MODEL_ROLES:
            raise ModelSetupError(f"models.{role}: unknown role; expected one of {', '.join(MODEL_ROLES)}, "
                                  f"or {ALL_ROLES} for every role")
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


def check_models(models: Mapping[str, Any], *, timeout: float = PREFLIGHT_TIMEOUT) -> None:
    """Ask every configured endpoint once (concurrently, each within ``timeout`` seconds);
    raise :class:`ModelSetupError` naming the first failing role (in ``models`` order), its
    endpoint and the error. ``models`` maps a label (a role, or an option such as
    ``--model``) to a spec, a mapping of settings or a ``ModelConfig``."""
    from turnloom.agents.llm._models import check_endpoint

    configs: dict[str, Any] = {}
    for label, value in models.items():
        configs[label] = model_configs({"assistant": value})["assistant"] if label not in MODEL_ROLES \
            else model_configs({label: value})[label]
    if not configs:
        return
    # one request per endpoint, model and key, however many roles share it
    asks: dict[tuple[str, str, str], Any] = {}
    for cfg in configs.values():
        asks.setdefault((cfg.endpoint, cfg.model, cfg.api_key_env), cfg)

    async def ask_all() -> list[str | None]:
        return list(await asyncio.gather(*(check_endpoint(cfg, timeout=timeout) for cfg in asks.values())))

    problems = dict(zip(asks, asyncio.run(ask_all()), strict=True))
    for label, cfg in configs.items():
        problem = problems[(cfg.endpoint, cfg.model, cfg.api_key_env)]
        if problem is not None:
            raise ModelSetupError(f"{label}: model {cfg.model!r} at {cfg.endpoint} is not usable: {problem}")


def text_completer(model: Any, *, cache_path: Path | None = None) -> Any:
    """``async (prompt) -> text`` on a configured model (cache, retries and limits included),
    for model-backed steps outside the dialogue graph such as pool evolution. A request that
    fails for its own sake answers ``""``, which the caller rejects like any unusable answer;
    an endpoint that fails for good (unreachable, timing out, server errors after the
    retries) raises :class:`~turnloom.agents.ModelUnavailableError`."""
    from autogen_core.models import UserMessage

    from turnloom.agents._protocol import ModelUnavailableError
    from turnloom.agents.llm._models import make_client

    cfg = model_configs({"assistant": model})["assistant"]
    client = make_client(cfg, cache_path=cache_path)

    async def complete(prompt: str) -> str:
        try:
            result = await client.create([UserMessage(content=prompt, source="user")])
        except Exception as exc:  # a failed request is one rejected candidate, not a failed run
            if getattr(exc, "unavailable", False):
                raise ModelUnavailableError(str(exc)) from exc
            return ""
        return result.content if isinstance(result.content, str) else ""

    return complete
