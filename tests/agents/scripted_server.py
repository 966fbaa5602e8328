"""A real OpenAI-compatible HTTP server on 127.0.0.1 that answers from a script.

Standard library only, so that any test directory can use it::

    server = ScriptedOpenAIServer().start()
    server.push(text("hello"), tool_call("get_weather", {"city": "Paris"}))
    ...  # point a client at server.url ("http://127.0.0.1:PORT/v1")
    server.requests[-1].body["messages"]
    server.stop()

It serves ``POST /v1/chat/completions`` (non-streaming) and ``GET /v1/models``.
Each chat request takes the next :class:`Reply` from the queue, or, when the
queue is empty, asks ``script`` (a function of the request body returning a
:class:`Reply`); with neither it answers 500 "script exhausted". Replies can inject
faults: an HTTP error status with headers (429 with Retry-After, 500...), a delay
(past the client's timeout), raw tool-call argument text (malformed JSON), the
legacy ``function_call`` field, or raw bytes. With ``llama_cpp=True`` the server
also behaves like llama.cpp's: it rejects ``"content": null`` with 400, rejects any
``tool_choice`` but ``"auto"`` (``reject_status``: 400 by default; the real
llama-cpp-python 0.3 answers 500), adds ``function_call`` next to ``tool_calls`` and
reports ``owned_by: "me"`` from ``/v1/models``. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "RecordedRequest",
    "Reply",
    "ScriptedOpenAIServer",
    "error",
    "json_reply",
    "slow",
    "text",
    "tool_call",
    "tool_calls",
]


@dataclass
class Reply:
    """One scripted answer to a chat-completions request."""

    content: str | None = None
    #: (name, arguments) pairs; arguments as a dict (encoded) or raw text (sent as is)
    calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering
    delay: float = 0.0
    #: add the legacy ``function_call`` field (first call) next to ``tool_calls``
    legacy_function_call: bool = False
    #: send only the legacy ``function_call`` field, no ``tool_calls``
    legacy_only: bool = False
    #: the error message of a non-200 reply
    message: str = ""
    #: raw response body (overrides everything above)
    raw: bytes | None = None
    prompt_tokens: int | None = None
    completion_tokens: int = 7
    finish_reason: str | None = None


def text(content: str, **kw: Any) -> Reply:
    return Reply(content=content, **kw)


def json_reply(obj: Any, **kw: Any) -> Reply:
    return Reply(content=json.dumps(obj), **kw)


def tool_call(name: str, arguments: dict[str, Any] | str, **kw: Any) -> Reply:
    return Reply(calls=[(name, arguments)], **kw)


def tool_calls(*calls: tuple[str, dict[str, Any] | str], **kw: Any) -> Reply:
    return Reply(calls=list(calls), **kw)


def error(status: int, message: str = "scripted error", *, retry_after: str | None = None) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(status=status, message=message, headers=headers)


def slow(seconds: float, then: Reply | None = None) -> Reply:
    base = then or Reply(content="too late")
    base.delay = seconds
    return base


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients dropping connections (timeouts, closed loops) are part of the tests


@dataclass
class RecordedRequest:
    method: str
    path: str
    #: header names lower-cased
    headers: dict[str, str]
    body: Any
    time: float


class ScriptedOpenAIServer:
    """An OpenAI-compatible chat server on 127.0.0.1 answering from a queue or a function."""

    def __init__(
        self,
        script: Callable[[dict[str, Any]], Reply | None] | None = None,
        *,
        model_id: str = "scripted-model",
        llama_cpp: bool = False,
        owned_by: str | None = None,
        reject_status: int = 400,
    ) -> None:
        self.script = script
        self.queue: deque[Reply] = deque()
        self.model_id = model_id
        self.llama_cpp = llama_cpp
        #: status of llama.cpp-style rejections (llama-cpp-python 0.3.x itself answers 500)
        self.reject_status = reject_status
        self.owned_by = owned_by or ("me" if llama_cpp else "scripted")
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> ScriptedOpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                server._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                server._handle(self, "POST")

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL clients use (``http://127.0.0.1:PORT/v1``)."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # -- script ----------------------------------------------------------------------------------
    def push(self, *replies: Reply) -> ScriptedOpenAIServer:
        with self._lock:
            self.queue.extend(replies)
        return self

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self.queue:
                return self.queue.popleft()
        if self.script is not None:
            reply = self.script(body)
            if reply is not None:
                return reply
        return Reply(status=500, message="script exhausted")

    # -- HTTP ------------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body, time.time()
                )
            )
        path = handler.path.split("?", 1)[0]
        if method == "GET" and path.endswith("/models"):
            payload = {
                "object": "list",
                "data": [{"id": self.model_id, "object": "model", "owned_by": self.owned_by}],
            }
            if self.llama_cpp:
                payload["data"][0]["permissions"] = []
            self._send(handler, 200, json.dumps(payload).encode())
            return
        if method != "POST" or not path.endswith("/chat/completions"):
            self._send_error(handler, 404, f"no route for {method} {path}")
            return
        if not isinstance(body, dict):
            self._send_error(handler, 400, "body must be a JSON object")
            return
        if self.llama_cpp:
            problem = self._llama_cpp_problem(body)
            if problem:
                self._send_error(handler, self.reject_status, problem)
                return
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self._next_reply(body)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.raw is not None:
                self._send(handler, reply.status, reply.raw, reply.headers)
            elif reply.status != 200:
                self._send_error(handler, reply.status, reply.message, reply.headers)
            else:
                self._send(handler, 200, json.dumps(self._completion(body, reply)).encode(), reply.headers)
        finally:
            with self._lock:
                self.in_flight -= 1

    @staticmethod
    def _llama_cpp_problem(body: dict[str, Any]) -> str | None:
        for i, message in enumerate(body.get("messages") or []):
            if isinstance(message, dict) and "content" in message and message["content"] is None:
                return f"messages[{i}].content: Input should be a valid string (null is not accepted)"
        choice = body.get("tool_choice")
        if choice is not None and choice != "auto":
            return f"tool_choice {choice!r} is not supported; only 'auto'"
        return None

    def _completion(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            n = self._counter
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        finish = reply.finish_reason or "stop"
        if reply.calls:
            calls = []
            for i, (name, args) in enumerate(reply.calls):
                arguments = args if isinstance(args, str) else json.dumps(args)
                calls.append(
                    {
                        "id": f"call_{n}_{i}",
                        "type": "function",
                        "function": {"name": name, "arguments": arguments},
                    }
                )
            if reply.legacy_only:
                message["function_call"] = calls[0]["function"]
            else:
                message["tool_calls"] = calls
                if reply.legacy_function_call or self.llama_cpp:
                    message["function_call"] = calls[0]["function"]
            finish = reply.finish_reason or ("function_call" if reply.legacy_only else "tool_calls")
        prompt_tokens = reply.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = max(1, len(json.dumps(body.get("messages", []))) // 4)
        return {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": 1700000000,
            "model": body.get("model", self.model_id),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": prompt_tokens + reply.completion_tokens,
            },
        }

    def _send_error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = {"error": {"message": message, "type": "scripted_error", "code": status}}
        self._send(handler, status, json.dumps(payload).encode(), headers)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired first)
