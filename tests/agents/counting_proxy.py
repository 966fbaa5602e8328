"""A counting HTTP proxy on 127.0.0.1 in front of a model server (standard library only).

It forwards every request to ``upstream`` and records what a server would want to know about its
clients: requests in flight at once (until the upstream answer is complete, even when the client
has gone: the server is still working), identical chat requests sent again (duplicates), the
tokens the server reported, and clients that closed their connection before the answer::

    proxy = CountingProxy("http://127.0.0.1:8765").start()
    ...  # point clients at proxy.url ("http://127.0.0.1:PORT/v1")
    proxy.max_in_flight, proxy.duplicates, proxy.prompt_tokens, proxy.abandoned
    proxy.stop()

Used by the agent tests and by ``benchmarks/bench_llm_matrix.py``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CountingProxy", "ProxiedRequest"]


@dataclass
class ProxiedRequest:
    method: str
    path: str
    start: float
    end: float = 0.0
    #: when the client closed its connection before the answer (None: it waited)
    closed_at: float | None = None
    status: int = 0
    digest: str = ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that go away are what this proxy watches for


class CountingProxy:
    def __init__(self, upstream: str, *, timeout: float = 900.0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.timeout = timeout
        self.requests: list[ProxiedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.duplicates = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.context_errors = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=32)
        self._httpd: _Server | None = None

    @property
    def chat(self) -> list[ProxiedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def abandoned(self) -> list[ProxiedRequest]:
        return [r for r in self.requests if r.closed_at is not None]

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()

    def _account(self, record: ProxiedRequest, status: int, payload: bytes) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        usage = data.get("usage") or {}
        error = json.dumps(data.get("error") or "")
        with self._lock:
            self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.completion_tokens += int(usage.get("completion_tokens") or 0)
            if status >= 400 and ("context" in error and ("length" in error or "window" in error)):
                self.context_errors += 1

    def start(self) -> CountingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                pass

            def _closed(self) -> bool:
                try:
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                record = ProxiedRequest(self.command, self.path, time.monotonic())
                chat = self.path.endswith("/chat/completions")
                with proxy._lock:
                    proxy.requests.append(record)
                    proxy.in_flight += 1
                    proxy.max_in_flight = max(proxy.max_in_flight, proxy.in_flight)
                    if chat:
                        record.digest = hashlib.sha256(body).hexdigest()
                        if record.digest in proxy._seen:
                            proxy.duplicates += 1
                        proxy._seen.add(record.digest)
                future = proxy._pool.submit(proxy._forward, self.command, self.path, headers, body)
                try:
                    while not future.done():
                        if record.closed_at is None and self._closed():
                            record.closed_at = time.monotonic()
                        time.sleep(0.01)
                    try:
                        status, reply_headers, payload = future.result()
                    except OSError as err:
                        status, reply_headers, payload = 502, [], json.dumps({"error": str(err)}).encode()
                finally:
                    record.end = time.monotonic()
                    with proxy._lock:
                        proxy.in_flight -= 1
                record.status = status
                if chat:
                    proxy._account(record, status, payload)
                if record.closed_at is not None:
                    return
                self.send_response(status)
                skip = {"content-length", "transfer-encoding", "connection"}
                for name, value in reply_headers:
                    if name.lower() not in skip:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle  # noqa: N815 - stdlib handler names

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self._pool.shutdown(wait=False, cancel_futures=True)
