"""Model configuration per role, spec parsing and the client factory.

A role's model is written ``[provider:]model[@base_url]`` on the command line or in a
scenario, e.g. ``openai:qwen2.5-7b@http://127.0.0.1:8000/v1``; any OpenAI-compatible
endpoint (vLLM, Ollama, llama.cpp's server, OpenAI itself) goes through the
``openai`` provider. A spec names the provider or the URL (``openai:gpt-4o-mini`` is
OpenAI's API): a bare name such as ``gpt4`` is refused rather than sent to OpenAI.
:func:`check_endpoint` asks an endpoint once, quickly, whether it answers at all.
:func:`make_client` builds the autogen client for a config:
autogen-ext's ``OpenAIChatCompletionClient`` behind a per-endpoint concurrency
limit, retries with backoff, a SQLite response cache and a usage counter.

The API key is read from the environment variable named by ``api_key_env`` when the
client is created; it is never stored in the config, the cache or any output. A key goes
only where it is configured: without ``api_key_env``, ``$OPENAI_API_KEY`` is sent to
OpenAI's own endpoint and to no other URL. Requests without a key carry no
``Authorization`` header at all (local servers need none).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from autogen_core.models import ChatCompletionClient, ModelInfo
from autogen_ext.models.cache import ChatCompletionCache
from autogen_ext.models.openai import OpenAIChatCompletionClient
from pydantic import BaseModel, ConfigDict, Field, field_validator

from turnloom.agents._protocol import ROLES
from turnloom.agents.llm._budget import BudgetClient
from turnloom.agents.llm._cache import SqliteCacheStore
from turnloom.agents.llm._clients import (
    EndpointLimiter,
    LimitedClient,
    RetryingClient,
    Usage,
    UsageCountingClient,
)
from turnloom.agents.llm._compat import make_http_client

__all__ = [
    "PROVIDERS",
    "ModelConfig",
    "ModelInfoOverrides",
    "ModelSpecError",
    "check_endpoint",
    "make_client",
    "parse_model_spec",
    "parse_role_models",
]

PROVIDERS: tuple[str, ...] = ("openai",)
#: providers people may try that are reached through the ``openai`` provider instead
_NOT_PROVIDERS = (
    "anthropic",
    "azure",
    "gemini",
    "ollama",
    "vllm",
    "llamacpp",
    "lmstudio",
    "together",
    "groq",
)
_LOCAL_PLACEHOLDER_KEY = "not-needed"
#: OpenAI's own endpoint: the only one ``$OPENAI_API_KEY`` goes to unless a spec names ``api_key_env``
OPENAI_ENDPOINT = "https://api.openai.com/v1"


class ModelSpecError(ValueError):
    """A model spec or per-role model assignment could not be read."""


class ModelInfoOverrides(BaseModel):
    """What a model can do, for names autogen does not know (anything not an OpenAI model)."""

    model_config = ConfigDict(extra="forbid")

    function_calling: bool | None = None
    json_output: bool | None = None
    structured_output: bool | None = None
    vision: bool | None = None
    family: str | None = None
    multiple_system_messages: bool | None = None


#: assumed for model names autogen does not know: tools and JSON mode yes, strict schemas no
_UNKNOWN_MODEL_INFO: dict[str, Any] = {
    "vision": False,
    "function_calling": True,
    "json_output": True,
    "structured_output": False,
    "family": "unknown",
    "multiple_system_messages": False,
}


def _known_model_info(model: str) -> dict[str, Any] | None:
    try:
        from autogen_ext.models.openai import _model_info
    except ImportError:  # pragma: no cover - private module of autogen-ext
        return None
    try:
        return dict(_model_info.get_info(model))
    except (KeyError, ValueError):
        return None


class ModelConfig(BaseModel):
    """One role's model: endpoint, sampling and client behaviour."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    provider: Literal["openai"] = "openai"
    model: str = Field(min_length=1)
    base_url: str | None = None
    #: environment variable holding the API key (read at client creation, never stored);
    #: None: $OPENAI_API_KEY for OpenAI's own endpoint, no key for any other URL
    api_key_env: str | None = None
    temperature: float = 0.0
    max_tokens: int = Field(default=512, ge=1)
    #: seconds per request
    timeout: float = Field(default=60.0, gt=0)
    #: retries after the first attempt (429, 5xx, timeouts, connection errors)
    max_retries: int = Field(default=4, ge=0)
    retry_base_delay: float = Field(default=0.5, ge=0)
    retry_max_delay: float = Field(default=20.0, ge=0)
    #: requests in flight per endpoint, shared by every role using it
    concurrency: int = Field(default=4, ge=1)
    seed: int | None = None
    #: ask for JSON output (response_format json_object); None: when the model supports it
    json_mode: bool | None = None
    #: server quirk handling; "auto" probes the endpoint and fixes llama.cpp's quirks
    compat: Literal["auto", "llama.cpp", "none"] = "auto"
    model_info: ModelInfoOverrides | None = None
    #: the model's context in tokens; None: ask the server (prompts are fitted to it, see _budget)
    context: int | None = Field(default=None, ge=64)
    #: how tools reach the model: "native" (the API's tools), "text" (described in the system
    #: prompt, calls parsed from text) or "auto" (text for llama-cpp-python, native elsewhere)
    tool_format: Literal["auto", "native", "text"] = "auto"

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    def resolved_model_info(self) -> ModelInfo:
        """autogen ``ModelInfo``: autogen's own for OpenAI names, else defaults; then overrides."""
        merged = dict(_known_model_info(self.model) or _UNKNOWN_MODEL_INFO)
        merged.setdefault("structured_output", False)
        merged.setdefault("multiple_system_messages", False)
        if self.model_info is not None:
            merged.update(self.model_info.model_dump(exclude_none=True))
        return ModelInfo(**merged)  # type: ignore[typeddict-item]

    def output_mode(self) -> Literal["structured", "json", "text"]:
        """How structured answers are asked for: strict schema, JSON mode, or parsed text."""
        info = self.resolved_model_info()
        if self.json_mode is False:
            return "text"
        if info.get("structured_output"):
            return "structured"
        if self.json_mode or info.get("json_output"):
            return "json"
        return "text"

    def cache_namespace(self) -> str:
        """What the request cache key must add to autogen's: everything that changes the answer."""
        payload = {
            "provider": self.provider,
            "model": self.model,
            "base_url": self.base_url,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            **({"tool_format": self.tool_format} if self.tool_format != "auto" else {}),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]

    @property
    def endpoint(self) -> str:
        return self.base_url or OPENAI_ENDPOINT

    def api_key(self) -> str | None:
        """The key to send to this endpoint, or None: from ``api_key_env`` when it is named, else
        ``$OPENAI_API_KEY`` for OpenAI's own endpoint only."""
        if self.api_key_env:
            return os.environ.get(self.api_key_env) or None
        if self.endpoint == OPENAI_ENDPOINT:
            return os.environ.get("OPENAI_API_KEY") or None
        return None

    def key_hint(self) -> str:
        """Where this config's key comes from, for error messages."""
        if self.api_key_env or self.endpoint == OPENAI_ENDPOINT:
            return f"set ${self.api_key_env or 'OPENAI_API_KEY'}"
        return "name the variable holding the key with api_key_env"

    def spec(self) -> str:
        """The ``provider:model@url`` form of this config (without the other settings)."""
        return f"{self.provider}:{self.model}" + (f"@{self.base_url}" if self.base_url else "")


def parse_model_spec(spec: str, **settings: Any) -> ModelConfig:
    """``[provider:]model[@base_url]`` -> :class:`ModelConfig` (``settings`` set other fields)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ModelSpecError("empty model spec; expected [provider:]model[@base_url], e.g. openai:gpt-4o-mini")
    text = spec.strip()
    model_part, sep, url = text.partition("@")
    if sep and not url:
        raise ModelSpecError(f"model spec {spec!r}: nothing after '@'; expected a base URL like http://host:port/v1")
    provider = "openai"
    head, colon, rest = model_part.partition(":")
    named = bool(colon) and head.lower() in PROVIDERS
    if named:
        provider, model_part = head.lower(), rest
    elif colon and head.lower() in _NOT_PROVIDERS:
        raise ModelSpecError(
            f"model spec {spec!r}: unsupported provider {head!r} (supported: {', '.join(PROVIDERS)}); "
            f"OpenAI-compatible servers are reached as openai:MODEL@BASE_URL"
        )
    if not model_part.strip():
        raise ModelSpecError(f"model spec {spec!r}: the model name is empty")
    if not named and not url:
        name = model_part.strip()
        raise ModelSpecError(
            f"model spec {spec!r}: no provider and no base URL; write openai:{name}@http://HOST:PORT/v1 for an "
            f"OpenAI-compatible server, or openai:{name} for OpenAI's API"
        )
    if url and not url.startswith(("http://", "https://")):
        raise ModelSpecError(f"model spec {spec!r}: base URL {url!r} must start with http:// or https://")
    try:
        return ModelConfig(
            provider=provider,  # type: ignore[arg-type]  # checked against PROVIDERS above
            model=model_part.strip(),
            base_url=url or None,
            **settings,
        )
    except ValueError as err:
        raise ModelSpecError(f"model spec {spec!r}: {err}") from err


def parse_role_models(items: list[str] | tuple[str, ...], **settings: Any) -> dict[str, ModelConfig]:
    """``["assistant=openai:m@url", "*=openai:n@url"]`` -> role -> config (``*`` fills the others)."""
    out: dict[str, ModelConfig] = {}
    default: ModelConfig | None = None
    for item in items:
        role, eq, spec = item.partition("=")
        role = role.strip()
        if not eq or not role:
            raise ModelSpecError(f"{item!r}: expected ROLE=SPEC, e.g. assistant=openai:qwen2.5-7b@http://host/v1")
        if role != "*" and role not in ROLES:
            raise ModelSpecError(f"{item!r}: unknown role {role!r} (roles: {', '.join(ROLES)}, or * for all)")
        if role in out or (role == "*" and default is not None):
            raise ModelSpecError(f"{item!r}: role {role!r} is given twice")
        cfg = parse_model_spec(spec, **settings)
        if role == "*":
            default = cfg
        else:
            out[role] = cfg
    if default is not None:
        for role in ROLES:
            out.setdefault(role, default)
    return out


def make_client(
    cfg: ModelConfig,
    *,
    cache_path: Path | None = None,
    usage: Usage | None = None,
    limiter: EndpointLimiter | None = None,
) -> UsageCountingClient:
    """The autogen client for ``cfg``: limited, retrying, cached (when ``cache_path``) and counted."""
    key = cfg.api_key()
    kwargs: dict[str, Any] = {
        "model": cfg.model,
        "api_key": key or _LOCAL_PLACEHOLDER_KEY,
        "timeout": cfg.timeout,
        "max_retries": 0,  # retries are ours (RetryingClient), with the config's backoff
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
        "model_info": cfg.resolved_model_info(),
    }
    if cfg.base_url:
        kwargs["base_url"] = cfg.base_url
    if cfg.seed is not None:
        kwargs["seed"] = cfg.seed
    text_tools = {"auto": None, "native": False, "text": True}[cfg.tool_format]
    http_client = make_http_client(cfg.compat, timeout=cfg.timeout, send_key=key is not None, text_tools=text_tools)
    if http_client is not None:
        kwargs["http_client"] = http_client
    client: ChatCompletionClient = OpenAIChatCompletionClient(**kwargs)
    client = LimitedClient(client, endpoint=cfg.endpoint, limit=cfg.concurrency, limiter=limiter)
    usage = usage if usage is not None else Usage()
    client = RetryingClient(
        client,
        usage=usage,
        max_retries=cfg.max_retries,
        base_delay=cfg.retry_base_delay,
        max_delay=cfg.retry_max_delay,
        endpoint=cfg.endpoint,
    )
    client = BudgetClient(client, endpoint=cfg.endpoint, max_tokens=cfg.max_tokens, context=cfg.context,
                          discover=cfg.compat != "none" or cfg.context is not None, label=cfg.spec(),
                          api_key=key)
    closing: list[Any] = []
    if cache_path is not None:
        store: SqliteCacheStore[Any] = SqliteCacheStore(cache_path, namespace=cfg.cache_namespace())
        closing.append(store)
        client = ChatCompletionCache(client, store)
    return UsageCountingClient(client, usage, closing=closing)


async def check_endpoint(cfg: ModelConfig, *, timeout: float = 10.0) -> str | None:
    """Whether ``cfg``'s endpoint answers: ``None``, or what is wrong, in a few words.

    Asks ``GET {base_url}/models`` (no tokens, nothing cached); a server without that
    route is asked for a one-token completion instead. Connection errors, timeouts,
    server errors and a refused key are reported; which model names a server accepts is
    left to the requests themselves (llama.cpp answers to any name).
    """
    import httpx

    key = cfg.api_key()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        async with httpx.AsyncClient(timeout=timeout, headers=headers) as http:
            reply = await http.get(f"{cfg.endpoint}/models")
            if reply.status_code in (404, 405):
                body = {"model": cfg.model, "max_tokens": 1, "messages": [{"role": "user", "content": "ping"}]}
                reply = await http.post(f"{cfg.endpoint}/chat/completions", json=body)
    except httpx.TimeoutException:
        return f"no answer within {timeout:g}s"
    except httpx.HTTPError as err:
        return f"connection error: {err or type(err).__name__}"
    if reply.status_code in (401, 403):
        return f"HTTP {reply.status_code}: the key was refused ({cfg.key_hint()})"
    if reply.status_code >= 400:
        return f"HTTP {reply.status_code}: {reply.text.strip()[:200] or reply.reason_phrase}"
    return None
