"""The model preflight (:func:`turnloom.agents.factory.check_models`): every configured endpoint
is asked once, quickly, before any work; a dead, silent or refusing one is one clear error
naming the role, the endpoint and the problem. Real servers on 127.0.0.1 throughout."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from scripted_server import ScriptedOpenAIServer

from turnloom.agents.factory import ModelSetupError, check_models

DEAD = "http://127.0.0.1:9/v1"


class _StatusServer:
    """Answers ``GET /models`` and ``POST /chat/completions`` with fixed statuses; records paths."""

    def __init__(self, models_status: int, chat_status: int = 200) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                pass

            def _answer(self, status: int) -> None:
                outer.paths.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = json.dumps({"error": {"message": f"status {status}"}} if status >= 400 else
                                  {"object": "list", "data": []}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                self._answer(models_status)

            def do_POST(self) -> None:  # noqa: N802
                self._answer(chat_status)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def silent_url() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    sock.close()


def test_a_live_endpoint_passes_without_a_chat_request(server: ScriptedOpenAIServer) -> None:
    check_models({"assistant": f"openai:scripted-model@{server.url}",
                  "user": {"spec": f"openai:scripted-model@{server.url}", "temperature": 0.3}})
    assert server.chat_requests == []  # no tokens spent, no scripted reply used up
    assert [r.path for r in server.requests] == ["/v1/models"]  # one request for both roles


def test_a_dead_endpoint_names_role_endpoint_and_error() -> None:
    start = time.monotonic()
    with pytest.raises(ModelSetupError) as info:
        check_models({"planner": "p@http://127.0.0.1:1/v1", "assistant": f"openai:x@{DEAD}"})
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "\n" not in message and message.startswith("planner: model 'p' at http://127.0.0.1:1/v1 is not usable")
    assert "connection error" in message


def test_a_silent_endpoint_times_out(silent_url: str) -> None:
    start = time.monotonic()
    with pytest.raises(ModelSetupError, match=r"assistant: model 'x' at .* no answer within 0.5s"):
        check_models({"assistant": f"openai:x@{silent_url}"}, timeout=0.5)
    assert time.monotonic() - start < 5


def test_a_refused_key_says_which_variable() -> None:
    srv = _StatusServer(401)
    try:
        with pytest.raises(ModelSetupError, match=r"HTTP 401: the key was refused \(set \$MY_KEY\)"):
            check_models({"verifier": {"spec": f"openai:m@{srv.url}", "api_key_env": "MY_KEY"}})
    finally:
        srv.stop()


def test_a_server_without_models_route_is_asked_for_one_token() -> None:
    ok, broken = _StatusServer(404, 200), _StatusServer(404, 503)
    try:
        check_models({"assistant": f"openai:m@{ok.url}"})
        assert ok.paths == ["GET /v1/models", "POST /v1/chat/completions"]
        with pytest.raises(ModelSetupError, match="HTTP 503"):
            check_models({"user": f"openai:m@{broken.url}"})
    finally:
        ok.stop()
        broken.stop()


def test_bad_specs_fail_before_any_request() -> None:
    with pytest.raises(ModelSetupError, match="no provider and no base URL"):
        check_models({"assistant": "gpt4"})
