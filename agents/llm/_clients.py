"""Layers around an autogen ``ChatCompletionClient``: endpoint limits, retries, usage, JSON mode.

:func:`turnloom.agents.llm._models.make_client` stacks them as::

    UsageCountingClient(ChatCompletionCache(BudgetClient(RetryingClient(LimitedClient(OpenAIChatCompletionClient)))))

so that cache hits are counted but cost nothing, every prompt is fitted to the context
before it is cached or sent (``_budget``), retries back off without holding an endpoint
slot, and every role sharing an endpoint shares its concurrency limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import random
import weakref
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import openai
from autogen_core import CancellationToken
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, ModelInfo, RequestUsage
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel

from turnloom.agents.llm._slots import SLOTS_DIR_ENV, FileSlots

__all__ = [
    "DelegatingClient",
    "EndpointLimiter",
    "FileSlots",
    "JsonModeClient",
    "LimitedClient",
    "ModelCallError",
    "RetryingClient",
    "SLOTS_DIR_ENV",
    "Usage",
    "UsageCountingClient",
    "usage_of",
    "usage_scope",
]

ToolChoice = Tool | Literal["auto", "required", "none"]


class ModelCallError(RuntimeError):
    """A model request failed for good (a non-retryable error, or retries exhausted).

    ``unavailable`` is true when the endpoint itself is at fault (unreachable, timing out,
    server errors after the retries, or refusing the key or the model name) rather than
    this one request (e.g. a prompt too long for the model).
    """

    def __init__(self, message: str, *, unavailable: bool = False) -> None:
        super().__init__(message)
        self.unavailable = unavailable


@dataclass
class Usage:
    """Model usage of one role (or one act).

    ``requests`` counts every ``create`` call, failed ones included, and ``cached`` those
    answered from the cache; token counts cover live answers (a cache hit costs nothing).
    ``sent`` counts the HTTP requests made (each attempt, retries included: what the server
    saw), ``retries`` the attempts repeated, ``timeouts`` the attempts that timed out and
    ``errors`` the calls that failed for good.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cached: int = 0
    sent: int = 0
    retries: int = 0
    timeouts: int = 0
    errors: int = 0

    def record(self, result: CreateResult) -> None:
        self.requests += 1
        if result.cached:
            self.cached += 1
        else:
            self.prompt_tokens += result.usage.prompt_tokens
            self.completion_tokens += result.usage.completion_tokens

    def add(self, other: Usage) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_ACT_USAGE: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("turnloom_act_usage", default=None)


@contextlib.contextmanager
def usage_scope() -> Iterator[Usage]:
    """Collect the usage of every counted request made inside the block (per task context).

    An exception leaving the block carries what was used until then (see :func:`usage_of`), so
    that an act that fails still accounts for its requests and tokens."""
    usage = Usage()
    token = _ACT_USAGE.set(usage)
    try:
        yield usage
    except Exception as exc:
        if getattr(exc, "turnloom_usage", None) is None:
            with contextlib.suppress(AttributeError):
                exc.turnloom_usage = usage.as_dict()  # type: ignore[attr-defined]
        raise
    finally:
        _ACT_USAGE.reset(token)


def usage_of(exc: BaseException) -> dict[str, int]:
    """The usage a failed act had made before ``exc`` ended it (empty if unknown)."""
    usage = getattr(exc, "turnloom_usage", None)
    if usage is None and exc.__cause__ is not None:
        usage = getattr(exc.__cause__, "turnloom_usage", None)
    return dict(usage or {})


def _count(usage: Usage | None, **counts: int) -> None:
    """Add ``counts`` to ``usage`` (a role's total) and to the current :func:`usage_scope`."""
    for target in (usage, _ACT_USAGE.get()):
        if target is not None:
            for name, value in counts.items():
                setattr(target, name, getattr(target, name) + value)


class DelegatingClient(ChatCompletionClient):
    """Forwards everything to ``inner``; subclasses override ``create``."""

    def __init__(self, inner: ChatCompletionClient) -> None:
        self.inner = inner

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},  # noqa: B006 - mirrors autogen's signature
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        return await self.inner.create(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )

    def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},  # noqa: B006
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        return self.inner.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )

    async def close(self) -> None:
        await self.inner.close()

    def actual_usage(self) -> RequestUsage:
        return self.inner.actual_usage()

    def total_usage(self) -> RequestUsage:
        return self.inner.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return self.inner.count_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return self.inner.remaining_tokens(messages, tools=tools)

    @property
    def capabilities(self) -> Any:  # deprecated in autogen; kept for the abstract interface
        return self.inner.model_info

    @property
    def model_info(self) -> ModelInfo:
        return self.inner.model_info


class EndpointLimiter:
    """One ``asyncio.Semaphore`` per endpoint (base URL) and event loop, shared by all roles.

    The first limit registered for an endpoint in a loop wins; later ones reuse it.
    """

    def __init__(self) -> None:
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary()
        )

    def semaphore(self, endpoint: str, limit: int) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        per_loop = self._by_loop.setdefault(loop, {})
        if endpoint not in per_loop:
            per_loop[endpoint] = asyncio.Semaphore(max(1, limit))
        return per_loop[endpoint]


#: the limiter every client shares unless given its own
DEFAULT_LIMITER = EndpointLimiter()


class LimitedClient(DelegatingClient):
    """At most ``limit`` requests in flight per endpoint: in this process, and across the worker
    processes of a run when ``$TURNLOOM_SLOTS_DIR`` names a shared folder (:class:`FileSlots`)."""

    def __init__(
        self,
        inner: ChatCompletionClient,
        *,
        endpoint: str,
        limit: int,
        limiter: EndpointLimiter | None = None,
    ) -> None:
        super().__init__(inner)
        self.endpoint = endpoint
        self.limit = limit
        self.limiter = limiter or DEFAULT_LIMITER

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        async with self.limiter.semaphore(self.endpoint, self.limit):
            folder = os.environ.get(SLOTS_DIR_ENV)
            if not folder:
                return await self.inner.create(messages, **kwargs)
            async with FileSlots(folder, self.endpoint, self.limit).slot():
                return await self.inner.create(messages, **kwargs)


def _retry_after(err: openai.APIStatusError) -> float | None:
    headers = err.response.headers if err.response is not None else {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None


def _describe(err: BaseException) -> str:
    if isinstance(err, openai.APIStatusError):
        return f"HTTP {err.status_code}: {err.message}"
    if isinstance(err, openai.APITimeoutError):
        return "request timed out"
    if isinstance(err, openai.APIConnectionError):
        return f"connection error: {err.__cause__ or err}"
    return f"{type(err).__name__}: {err}"


class RetryingClient(DelegatingClient):
    """Retries 429, 5xx, 408, timeouts and connection errors with exponential backoff and jitter.

    The delay before retry ``n`` (0-based) is ``min(max_delay, base_delay * 2**n)`` scaled by a
    random factor in [0.5, 1.0]; a ``Retry-After`` header, when present, is used instead (capped
    at ``max_delay``). Other errors, and the last failure, raise :class:`ModelCallError`.
    Each attempt, retry, timeout and final failure is counted into ``usage`` and the current
    :func:`usage_scope`.
    """

    def __init__(
        self,
        inner: ChatCompletionClient,
        *,
        max_retries: int,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        endpoint: str = "",
        rng: random.Random | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(inner)
        self.usage = usage
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.endpoint = endpoint
        self._rng = rng or random.Random()
        #: number of retries made so far (for tests and run reports)
        self.retries = 0

    @staticmethod
    def retryable(err: BaseException) -> bool:
        if isinstance(err, openai.APITimeoutError | openai.APIConnectionError):
            return True
        if isinstance(err, openai.APIStatusError):
            return err.status_code in (408, 409, 429) or err.status_code >= 500
        return isinstance(err, asyncio.TimeoutError)

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            _count(self.usage, sent=1)
            try:
                return await self.inner.create(messages, **kwargs)
            except Exception as err:
                where = f" from {self.endpoint}" if self.endpoint else ""
                if isinstance(err, openai.APITimeoutError | asyncio.TimeoutError):
                    _count(self.usage, timeouts=1)
                if not self.retryable(err) or attempt == attempts - 1:
                    _count(self.usage, errors=1)
                if not self.retryable(err):
                    if isinstance(err, openai.OpenAIError):
                        refused = isinstance(err, openai.APIStatusError) and err.status_code in (401, 403, 404)
                        raise ModelCallError(f"model request failed{where}: {_describe(err)}",
                                             unavailable=refused) from err
                    raise
                if attempt == attempts - 1:
                    raise ModelCallError(
                        f"model request failed{where} after {attempts} attempts: {_describe(err)}", unavailable=True
                    ) from err
                delay = None
                if isinstance(err, openai.APIStatusError):
                    delay = _retry_after(err)
                if delay is None:
                    delay = min(self.max_delay, self.base_delay * 2**attempt) * self._rng.uniform(0.5, 1.0)
                self.retries += 1
                _count(self.usage, retries=1)
                await asyncio.sleep(min(delay, self.max_delay))
        raise AssertionError("unreachable")  # pragma: no cover


class JsonModeClient(DelegatingClient):
    """Asks for JSON output (``response_format: json_object``) whenever the caller does not say.

    With a ``schema``, the request carries it as ``{"type": "json_object", "schema": ...}``:
    llama.cpp turns that into a grammar, so even small models answer in shape; the compat
    transport strips the ``schema`` key for servers that are not llama.cpp.
    """

    def __init__(self, inner: ChatCompletionClient, *, schema: dict[str, Any] | None = None,
                 max_tokens: int | None = None) -> None:
        super().__init__(inner)
        self.schema = schema
        #: answer tokens the schema's length caps need (sent only when set)
        self.max_tokens = max_tokens

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        if self.max_tokens is not None:
            kwargs["extra_create_args"] = {**dict(kwargs.get("extra_create_args") or {}), "max_tokens": self.max_tokens}
        if kwargs.get("json_output") is None:
            extra = dict(kwargs.get("extra_create_args") or {})
            if self.schema is not None and "response_format" not in extra:
                extra["response_format"] = {"type": "json_object", "schema": self.schema}
                kwargs["extra_create_args"] = extra
            else:
                kwargs["json_output"] = True
        return await self.inner.create(messages, **kwargs)


class UsageCountingClient(DelegatingClient):
    """Counts every request into ``usage`` (the role's total) and the current :func:`usage_scope`."""

    def __init__(self, inner: ChatCompletionClient, usage: Usage | None = None, *, closing: Sequence[Any] = ()) -> None:
        super().__init__(inner)
        self.usage = usage if usage is not None else Usage()
        #: resources with a ``close()`` to release after the client (e.g. the cache store)
        self.closing = list(closing)

    async def close(self) -> None:
        try:
            await self.inner.close()
        finally:
            for resource in self.closing:
                resource.close()

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        try:
            result = await self.inner.create(messages, **kwargs)
        except Exception:
            _count(self.usage, requests=1)
            raise
        self.usage.record(result)
        scoped = _ACT_USAGE.get()
        if scoped is not None:
            scoped.record(result)
        return result
