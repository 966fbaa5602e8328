"""The prompt budget: every request fits the model's context, with ``max_tokens`` kept for the answer.

:class:`BudgetClient` sits in front of the cache (so a cached rerun sends exactly what was
fitted the first time). For each request it counts the prompt - the messages, the tool
schemas and a per-message allowance for the chat template - and, while it does not fit
``context - max_tokens - margin``, it shrinks it in this order:

1. compact tool schemas: drop the descriptions, titles and examples of parameters;
2. drop whole tools not in play (not called in the dialogue, not named by its last turn);
3. trim history from the middle, keeping the system prompt, the first user turn and the
   turn at hand (tool calls and their results go together);
4. cut the middle out of the longest message (a judge's transcript, a long tool result).

A prompt that still cannot fit fails with :class:`PromptTooLongError`, one line, before any
request leaves. The context comes from the config's ``context`` or the server
(:func:`discover_context`); tokens are counted with the server's tokenizer when it has one
(llama-cpp-python's ``/extras/tokenize/count``, llama.cpp's ``/tokenize``), otherwise estimated
at 2.5 characters a token (measured SmolLM2 prose and JSON run 3.1-3.3, so this over-counts).
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import re
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from autogen_core import FunctionCall
from autogen_core.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

from turnloom.agents.llm._clients import DelegatingClient, ModelCallError
from turnloom.agents.llm._compat import looks_like_llama_cpp

__all__ = [
    "CHARS_PER_TOKEN",
    "BudgetClient",
    "PromptTooLongError",
    "ServerInfo",
    "compact_tools",
    "discover_server",
    "estimate_tokens",
    "fit_prompt",
    "message_text",
]

#: conservative characters per token for estimates (real tokenizers give more characters per token)
CHARS_PER_TOKEN = 2.5
#: chat-template tokens per message (role markers, separators)
PER_MESSAGE = 8
#: tokens for the tool-calling instructions a template or the text tool format adds
TOOLS_OVERHEAD = 200
_CUT = "\n...(cut)...\n"
_CONTEXT_ERROR = re.compile(r"(?:maximum context length is|context window of)\s*(\d+)")

Counter = Callable[[str], Awaitable[int]]


class PromptTooLongError(ModelCallError):
    """A prompt that cannot be made to fit the model's context (nothing was sent)."""


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


async def _estimate(text: str) -> int:
    return estimate_tokens(text)


def message_text(message: LLMMessage) -> str:
    """The text of a message as the model sees it (calls and results as JSON)."""
    content: Any = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    if isinstance(message, AssistantMessage) and message.thought:
        parts.append(message.thought)
    for item in content:
        if isinstance(item, FunctionCall):
            parts.append(f'{{"name": "{item.name}", "arguments": {item.arguments}}}')
        elif isinstance(item, FunctionExecutionResult):
            parts.append(f"{item.name}: {item.content}")
        else:
            parts.append(str(item))
    return "\n".join(parts)


def _with_text(message: LLMMessage, text: str) -> LLMMessage:
    if isinstance(message, SystemMessage | UserMessage) or (
        isinstance(message, AssistantMessage) and isinstance(message.content, str)
    ):
        return message.model_copy(update={"content": text})
    if isinstance(message, FunctionExecutionResultMessage) and message.content:
        first, *rest = message.content
        # one result keeps the cut text; the others are dropped to their names
        results = [first.model_copy(update={"content": text})]
        results += [r.model_copy(update={"content": "(cut)"}) for r in rest]
        return message.model_copy(update={"content": results})
    return message


_SCHEMA_NOISE = ("description", "title", "examples", "example", "default", "$comment")


def compact_tools(tools: Sequence[Any]) -> list[Any]:
    """Tool schemas without the descriptions, titles and examples of their parameters."""

    def strip(node: Any, top: bool) -> Any:
        if isinstance(node, dict):
            return {
                k: strip(v, k == "properties")
                for k, v in node.items()
                if top or k not in _SCHEMA_NOISE or not isinstance(v, str | list | int | float | bool)
            }
        if isinstance(node, list):
            return [strip(v, False) for v in node]
        return node

    out = []
    for tool in tools:
        schema = dict(_tool_dict(tool))
        if "parameters" in schema:
            schema["parameters"] = strip(copy.deepcopy(schema["parameters"]), False)
        out.append(schema)
    return out


def _tool_dict(tool: Any) -> dict[str, Any]:
    if isinstance(tool, dict):
        return tool
    return dict(tool.schema)  # an autogen Tool


def _tools_text(tools: Sequence[Any]) -> str:
    return json.dumps([_tool_dict(t) for t in tools], ensure_ascii=False) if tools else ""


def _in_play(tools: Sequence[Any], messages: Sequence[LLMMessage]) -> list[Any]:
    """The tools called in the dialogue or named by its last message (all of them if that is none)."""
    called = {
        item.name
        for m in messages
        if isinstance(m, AssistantMessage) and not isinstance(m.content, str)
        for item in m.content
    }
    last = message_text(messages[-1]) if messages else ""
    keep = [t for t in tools if _tool_dict(t).get("name") in called or str(_tool_dict(t).get("name")) in last]
    return keep or list(tools[:1])


def _drop_middle(messages: list[LLMMessage]) -> list[LLMMessage] | None:
    """One block less from the middle: after the system prompt and first user turn, before the
    turn at hand (the last user message and what follows it); None when nothing can go."""
    first_user = next((i for i, m in enumerate(messages) if isinstance(m, UserMessage)), None)
    last_user = max((i for i, m in enumerate(messages) if isinstance(m, UserMessage)), default=None)
    if first_user is None or last_user is None or last_user - first_user < 2:
        return None
    start = first_user + 1
    end = start + 1
    while end < last_user and isinstance(messages[end], FunctionExecutionResultMessage):
        end += 1  # results go with their calls
    return messages[:start] + messages[end:]


async def fit_prompt(
    messages: Sequence[LLMMessage],
    tools: Sequence[Any],
    *,
    limit: int,
    count: Counter = _estimate,
    what: str = "the model",
) -> tuple[list[LLMMessage], list[Any], int]:
    """``messages`` and ``tools`` shrunk (see the module docs) to at most ``limit`` prompt tokens.

    Returns them with their counted size; raises :class:`PromptTooLongError` when they cannot fit.
    """
    msgs = list(messages)
    tls = list(tools)

    async def size() -> int:
        text = "\n".join(message_text(m) for m in msgs)
        total = await count(text) + PER_MESSAGE * len(msgs)
        if tls:
            total += await count(_tools_text(tls)) + TOOLS_OVERHEAD
        return total

    total = await size()
    if total > limit and tls:
        tls = compact_tools(tls)
        total = await size()
    if total > limit and len(tls) > 1:
        tls = _in_play(tls, msgs)
        total = await size()
    while total > limit:
        shorter = _drop_middle(msgs)
        if shorter is None:
            break
        msgs = shorter
        total = await size()
    for _ in range(8):
        if total <= limit:
            break
        longest = max(range(len(msgs)), key=lambda i: len(message_text(msgs[i])))
        text = message_text(msgs[longest])
        own = max(1, await count(text))
        keep = int(len(text) * (own - (total - limit)) / own * 0.95) - len(_CUT)
        if keep < 200:
            break
        cut = text[: keep // 2] + _CUT + text[len(text) - keep // 2 :]
        msgs[longest] = _with_text(msgs[longest], cut)
        total = await size()
    if total > limit:
        raise PromptTooLongError(
            f"prompt too long for {what}: about {total} tokens after trimming, but only {limit} fit "
            "(raise the model's context or lower max_tokens)"
        )
    return msgs, tls, total


class ServerInfo:
    """What an endpoint says about itself: its context size and a tokenizer route, when it has them."""

    def __init__(self, context: int | None = None, tokenize: str | None = None, kind: str = "unknown") -> None:
        self.context = context
        self.tokenize = tokenize
        self.kind = kind


async def discover_server(base_url: str, *, timeout: float = 10.0, headers: dict[str, str] | None = None,
                          context: bool = True) -> ServerInfo:
    """Ask ``base_url`` for its context size and tokenizer.

    vLLM reports ``max_model_len`` in ``/models``; llama.cpp's server ``n_ctx`` in ``/props``
    (and ``meta.n_ctx_train`` in ``/models``); llama-cpp-python reports neither, so it is asked
    to complete an over-long prompt, which it refuses at once naming its context window (only
    when ``context`` is wanted: otherwise just the tokenizer is looked for).
    """
    root = base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url
    info = ServerInfo()
    try:
        async with httpx.AsyncClient(timeout=timeout, headers=headers or {}) as http:
            reply = await http.get(f"{base_url}/models")
            models = reply.json() if reply.status_code == 200 else {}
            entry = (models.get("data") or [{}])[0] if isinstance(models, dict) else {}
            entry = entry if isinstance(entry, dict) else {}
            if isinstance(entry.get("max_model_len"), int):
                info.context, info.kind = entry["max_model_len"], "vllm"
                return info
            owner = entry.get("owned_by")
            if owner == "llamacpp":
                info.kind, info.tokenize = "llama.cpp", f"{root}/tokenize"
                props = await http.get(f"{root}/props")
                n_ctx = (props.json().get("default_generation_settings") or {}).get("n_ctx") if (
                    props.status_code == 200) else None
                if not isinstance(n_ctx, int):
                    n_ctx = (entry.get("meta") or {}).get("n_ctx_train")
                info.context = n_ctx if isinstance(n_ctx, int) else None
            elif looks_like_llama_cpp(models):
                info.kind, info.tokenize = "llama-cpp-python", f"{root}/extras/tokenize/count"
                if not context:
                    return info
                probe = await http.post(f"{base_url}/completions", json={"prompt": " a" * 300_000, "max_tokens": 1})
                found = _CONTEXT_ERROR.search(probe.text)
                info.context = int(found.group(1)) if found else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return info
    return info


def _tokenizer(url: str, kind: str, headers: dict[str, str]) -> Counter:
    async def count(text: str) -> int:
        if not text:
            return 0
        body = {"input": text} if kind == "llama-cpp-python" else {"content": text}
        try:
            async with httpx.AsyncClient(timeout=30.0, headers=headers) as http:
                reply = await http.post(url, json=body)
            data = reply.json()
            if kind == "llama-cpp-python" and isinstance(data.get("count"), int):
                return int(data["count"])
            if isinstance(data.get("tokens"), list):
                return len(data["tokens"])
        except (httpx.HTTPError, ValueError, AttributeError):
            pass
        return estimate_tokens(text)

    return count


#: what each endpoint said about itself, per process
_SERVERS: dict[str, ServerInfo] = {}
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


class BudgetClient(DelegatingClient):
    """Fits every request into the context (see the module docs) before passing it on.

    ``context``: the model's context in tokens (None: ask the server; unknown: no fitting).
    ``max_tokens``: kept free for the answer (a request's own ``max_tokens`` wins when larger).
    ``margin``: share of the context kept free for counting slips.
    """

    def __init__(
        self,
        inner: Any,
        *,
        endpoint: str,
        max_tokens: int,
        context: int | None = None,
        discover: bool = True,
        margin: float = 0.05,
        label: str = "the model",
        api_key: str | None = None,
    ) -> None:
        super().__init__(inner)
        self.endpoint = endpoint
        self.max_tokens = max_tokens
        self.context = context
        self.discover = discover
        self.margin = margin
        self.label = label
        #: sent with discovery and tokenizer requests only when a key is configured for this endpoint
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._count: Counter | None = None
        #: prompt tokens counted for the last request (for tests and reports)
        self.last_prompt_tokens: int | None = None

    async def _server(self) -> ServerInfo:
        if not self.discover:
            return ServerInfo()
        key = f"{self.endpoint} context={self.context is None}"
        lock = _LOCKS.setdefault(asyncio.get_running_loop(), {}).setdefault(key, asyncio.Lock())
        async with lock:
            if key not in _SERVERS:
                _SERVERS[key] = await discover_server(self.endpoint, headers=self.headers,
                                                      context=self.context is None)
        return _SERVERS[key]

    async def _counter(self, info: ServerInfo) -> Counter:
        if self._count is None:
            self._count = _tokenizer(info.tokenize, info.kind, self.headers) if info.tokenize else _estimate
        return self._count

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        info = await self._server()
        context = self.context or info.context
        if context is None:
            return await self.inner.create(messages, **kwargs)
        extra = kwargs.get("extra_create_args") or {}
        reserve = max(self.max_tokens, int(extra.get("max_tokens") or 0))
        limit = context - reserve - math.ceil(context * self.margin)
        tools = list(kwargs.get("tools") or [])
        # an estimate that fits needs no tokenizer round trip (estimates over-count)
        try:
            fitted, fitted_tools, total = await fit_prompt(messages, tools, limit=limit, what=self.label)
        except PromptTooLongError:
            fitted, total = [], limit  # the estimate does not fit; the tokenizer decides
        if total > limit * 0.9 or fitted != list(messages):
            count = await self._counter(info)
            fitted, fitted_tools, total = await fit_prompt(messages, tools, limit=limit, count=count, what=self.label)
        self.last_prompt_tokens = total
        if tools:
            kwargs["tools"] = fitted_tools
        return await self.inner.create(fitted, **kwargs)
