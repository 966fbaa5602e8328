"""Quirks of OpenAI-compatible servers, fixed on the wire.

llama.cpp's server (``python -m llama_cpp.server --chat_format
chatml-function-calling``) differs from the OpenAI API in ways autogen does not
tolerate:

* its responses carry the legacy ``function_call`` field next to ``tool_calls``;
  autogen's OpenAI client raises on any ``function_call``;
* it rejects ``"content": null`` in assistant messages (autogen sends null content
  with tool calls, as OpenAI asks);
* it only supports ``tool_choice="auto"``;
* its template HTML-escapes prompts, so the model writes ``&#34;`` for quotes;
* structured output is asked as ``{"type": "json_object", "schema": ...}`` rather
  than OpenAI's ``{"type": "json_schema", ...}``; turnloom's JSON mode sends that
  form, and the ``schema`` key is stripped for servers that are not llama.cpp.

:class:`CompatTransport` wraps the HTTP transport the OpenAI SDK uses. The fixes
that are harmless on any server (dropping a duplicated legacy ``function_call``,
sending ``""`` instead of null content) always apply; the rest apply when the mode
is ``"llama.cpp"``, or in ``"auto"`` mode once a probe of ``GET /models`` has
recognised llama.cpp (llama-cpp-python reports ``owned_by: "me"``, llama.cpp's own
server ``owned_by: "llamacpp"``).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Literal

from turnloom.agents.llm._text_tools import calls_from_text, merge_user_turns, tools_as_text

try:  # openai>=3 ships its own httpx fork; older releases use httpx itself
    import httpx2 as _http
except ImportError:  # pragma: no cover - depends on the installed openai SDK
    import httpx as _http  # type: ignore[no-redef]

__all__ = [
    "CompatMode",
    "CompatTransport",
    "fix_request_body",
    "fix_response_body",
    "looks_like_llama_cpp",
    "make_http_client",
]

CompatMode = Literal["auto", "llama.cpp", "none"]

_LLAMA_CPP_OWNERS = frozenset({"me", "llamacpp", "llama.cpp"})
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|quot|amp|lt|gt|apos);")


def looks_like_llama_cpp(models_payload: Any) -> bool:
    """Whether a ``GET /models`` answer comes from llama.cpp or llama-cpp-python."""
    if not isinstance(models_payload, dict):
        return False
    data = models_payload.get("data")
    if not isinstance(data, list):
        return False
    return any(isinstance(entry, dict) and entry.get("owned_by") in _LLAMA_CPP_OWNERS for entry in data)


def fix_request_body(body: dict[str, Any], *, llama_cpp: bool) -> dict[str, Any]:
    """A chat-completions request body with the quirks above removed (a new dict)."""
    out = dict(body)
    messages = out.get("messages")
    if isinstance(messages, list):
        fixed = []
        for message in messages:
            if isinstance(message, dict) and "content" in message and message["content"] is None:
                message = {**message, "content": ""}
            fixed.append(message)
        out["messages"] = fixed
    fmt = out.get("response_format")
    if not llama_cpp and isinstance(fmt, dict) and fmt.get("type") == "json_object" and "schema" in fmt:
        out["response_format"] = {"type": "json_object"}  # the schema is a llama.cpp extension
    if llama_cpp:
        choice = out.get("tool_choice")
        if choice == "none":
            out.pop("tool_choice", None)
            out.pop("tools", None)
        elif choice is not None and choice != "auto":
            out["tool_choice"] = "auto"
        fmt = out.get("response_format")
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema")
            out["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
        out.pop("parallel_tool_calls", None)
    return out


def _unescape(text: Any) -> Any:
    if isinstance(text, str) and _ENTITY.search(text):
        return html.unescape(text)
    return text


def fix_response_body(body: dict[str, Any], *, llama_cpp: bool = False) -> dict[str, Any]:
    """A chat-completions response with legacy ``function_call`` fields turned into tool calls.

    For llama.cpp, HTML entities in the content and arguments are decoded as well: its
    ``chatml-function-calling`` template renders prompts with Jinja autoescaping, so the
    model sees ``&#34;`` for every quote and writes it back.
    """
    choices = body.get("choices")
    if not isinstance(choices, list):
        return body
    out_choices = []
    for choice in choices:
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            out_choices.append(choice)
            continue
        message = dict(message)
        choice = dict(choice)
        legacy = message.pop("function_call", None)
        if legacy and not message.get("tool_calls"):
            message["tool_calls"] = [{"id": "call_0", "type": "function", "function": legacy}]
            choice["finish_reason"] = "tool_calls"
        if llama_cpp:
            message["content"] = _unescape(message.get("content"))
            calls = []
            for call in message.get("tool_calls") or []:
                if isinstance(call, dict) and isinstance(call.get("function"), dict):
                    fn = dict(call["function"])
                    fn["arguments"] = _unescape(fn.get("arguments"))
                    call = {**call, "function": fn}
                calls.append(call)
            if calls:
                message["tool_calls"] = calls
        choice["message"] = message
        out_choices.append(choice)
    return {**body, "choices": out_choices}


def _text_calls(body: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """Tool calls written as text in each choice's content, as OpenAI ``tool_calls``."""
    choices = []
    for choice in body.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and not message.get("tool_calls"):
            calls = calls_from_text(str(message.get("content") or ""), names)
            if calls:
                choice = {**choice, "finish_reason": "tool_calls",
                          "message": {**message, "content": None, "tool_calls": calls}}
        choices.append(choice)
    return {**body, "choices": choices}


class CompatTransport(_http.AsyncBaseTransport):
    """An HTTP transport that fixes requests to and responses from ``/chat/completions``."""

    def __init__(self, inner: _http.AsyncBaseTransport | None = None, *, mode: CompatMode = "auto",
                 send_key: bool = True, text_tools: bool | None = None) -> None:
        self._inner = inner if inner is not None else _http.AsyncHTTPTransport()
        self.mode = mode
        #: False: no ``Authorization`` header leaves this client (no key is configured for its URL)
        self.send_key = send_key
        #: whether the server was recognised as llama.cpp (None: not probed yet)
        self.llama_cpp: bool | None = True if mode == "llama.cpp" else (False if mode == "none" else None)
        #: tools as text (see :mod:`._text_tools`); None: when the server is llama-cpp-python
        self.text_tools = text_tools

    async def _probe(self, request: _http.Request) -> bool:
        path = request.url.path
        base = path[: -len("/chat/completions")] if path.endswith("/chat/completions") else path.rsplit("/", 1)[0]
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "user-agent")}
        probe = _http.Request("GET", request.url.copy_with(path=f"{base}/models", query=None), headers=headers)
        try:
            response = await self._inner.handle_async_request(probe)
            await response.aread()
            await response.aclose()
            if response.status_code != 200:
                return False
            payload = json.loads(response.content)
            if self.text_tools is None:
                data = payload.get("data") if isinstance(payload, dict) else None
                owners = {e.get("owned_by") for e in data if isinstance(e, dict)} if isinstance(data, list) else set()
                self.text_tools = "me" in owners  # llama-cpp-python, whose chatml formats have no tools
            return looks_like_llama_cpp(payload)
        except (_http.HTTPError, json.JSONDecodeError, UnicodeDecodeError):
            return False

    async def handle_async_request(self, request: _http.Request) -> _http.Response:
        if not self.send_key and "authorization" in request.headers:
            del request.headers["authorization"]
        if self.mode == "none" or request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return await self._inner.handle_async_request(request)
        if self.llama_cpp is None or self.text_tools is None:
            found = await self._probe(request)
            self.llama_cpp = found if self.llama_cpp is None else self.llama_cpp
            self.text_tools = bool(self.text_tools)
        await request.aread()
        streaming = False
        try:
            body = json.loads(request.content or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        tool_names: set[str] = set()
        if isinstance(body, dict):
            streaming = bool(body.get("stream"))
            fixed = fix_request_body(body, llama_cpp=bool(self.llama_cpp))
            tool_names = {str((t.get("function") or {}).get("name")) for t in body.get("tools") or []
                          if isinstance(t, dict)}
            if self.text_tools:
                fixed = merge_user_turns(tools_as_text(fixed))
            content = json.dumps(fixed).encode()
            headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
            headers.append(("content-length", str(len(content))))
            request = _http.Request(
                request.method, request.url, headers=headers, content=content, extensions=request.extensions
            )
        response = await self._inner.handle_async_request(request)
        if streaming or response.status_code != 200:
            return response
        raw = await response.aread()
        await response.aclose()
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        new_content = raw
        if isinstance(data, dict):
            data = fix_response_body(data, llama_cpp=bool(self.llama_cpp))
            if self.text_tools and tool_names:
                data = _text_calls(data, tool_names)
            new_content = json.dumps(data).encode()
        skip = {"content-length", "content-encoding", "transfer-encoding"}
        new_headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in skip]
        new_headers.append(("content-length", str(len(new_content))))
        return _http.Response(
            response.status_code,
            headers=new_headers,
            content=new_content,
            request=request,
            extensions={k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")},
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def make_http_client(mode: CompatMode, *, timeout: float, send_key: bool = True,
                     text_tools: bool | None = None) -> Any:
    """An async HTTP client for the OpenAI SDK with :class:`CompatTransport` (None for mode "none"
    when the key may be sent: the SDK's own client does). ``text_tools``: tools as text (None: auto)."""
    if mode == "none" and send_key:
        return None
    import openai

    transport = CompatTransport(mode=mode, send_key=send_key, text_tools=text_tools)
    return openai.DefaultAsyncHttpxClient(transport=transport, timeout=timeout)
