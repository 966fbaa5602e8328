"""A synchronous client for live MCP servers, over stdio or streamable HTTP.

The official ``mcp`` SDK is asynchronous (anyio); :class:`McpClient` runs it on a private event
loop thread (an anyio blocking portal), so plain synchronous code can list a server's tools and
call them::

    with McpClient.from_command_line("mcp-server-time") as client:
        specs = client.tool_specs()
        result = client.call_tool("get_current_time", {"timezone": "UTC"})

Every failure (a command that does not exist, a server that exits, hangs, or answers with a
protocol error) is an :class:`McpClientError` whose message is one line naming the server;
the server's own stderr is kept out of the terminal and its last line is quoted in the error.
Child processes are stopped on :meth:`McpClient.close`, also after a failed start.

:func:`import_server_tools` converts each listed tool with the ``mcp`` file importer, so a saved
``tools/list`` result and the live server give identical ToolSpecs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import shlex
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import anyio
import anyio.abc
import mcp.types as mcp_types
from anyio.from_thread import BlockingPortal
from mcp import ClientSession, StdioServerParameters, stdio_client

from turnloom.schema import ToolSpec
from turnloom.tools_env.importers import ImportReport, ImportResult, ToolImportError, _import_mcp

try:  # mcp >= 1.24 (and 2.x)
    from mcp.client.streamable_http import streamable_http_client as _http_client
except ImportError:  # pragma: no cover - older 1.x releases
    from mcp.client.streamable_http import streamablehttp_client as _http_client  # type: ignore[attr-defined,no-redef]

__all__ = ["DEFAULT_TIMEOUT", "McpCallResult", "McpClient", "McpClientError", "import_server_tools"]

#: seconds a server may take to start, to answer a request, or to shut down
DEFAULT_TIMEOUT = 30.0
_MAX_PAGES = 1000
_SDK_LOG = logging.getLogger("mcp")
if not any(isinstance(h, logging.NullHandler) for h in _SDK_LOG.handlers):
    _SDK_LOG.addHandler(logging.NullHandler())  # SDK warnings never reach the terminal as tracebacks


class McpClientError(RuntimeError):
    """A live MCP server that could not be reached or used; the message is one line."""


@dataclass(frozen=True)
class McpCallResult:
    """What one ``tools/call`` returned, as plain JSON data."""

    content: list[dict[str, Any]] = field(default_factory=list)
    structured: dict[str, Any] | None = None
    is_error: bool = False

    @property
    def text(self) -> str:
        """The text blocks of the content, joined by newlines."""
        return "\n".join(str(b.get("text", "")) for b in self.content if b.get("type") == "text")


def _leaves(exc: BaseException) -> list[BaseException]:
    subs = getattr(exc, "exceptions", None)  # an exception group
    if isinstance(subs, (list, tuple)) and subs:
        return [leaf for sub in subs for leaf in _leaves(sub)]
    return [exc]


def _reason(exc: BaseException) -> str:
    """One line describing ``exc`` (the first meaningful leaf of an exception group)."""
    leaves = [e for e in _leaves(exc) if not isinstance(e, asyncio.CancelledError)] or [exc]
    first = leaves[0]
    if isinstance(first, FileNotFoundError):
        return f"command not found ({first.filename or first})"
    if isinstance(first, PermissionError):
        return f"command not executable ({first.filename or first})"
    text = " ".join(str(first).split()) or type(first).__name__
    if type(first).__name__ == "ConnectError":
        return f"cannot connect ({text})"
    if text == "Connection closed" or isinstance(first, (anyio.ClosedResourceError, anyio.BrokenResourceError)):
        return "the server closed the connection (did it exit?)"
    return text if len(text) <= 300 else text[:297] + "..."


def _start_portal() -> tuple[BlockingPortal, threading.Thread]:
    """An event loop on a daemon thread, driven through an anyio blocking portal (a client left
    open never keeps the interpreter from exiting)."""
    ready: Future[BlockingPortal] = Future()

    async def serve() -> None:
        async with BlockingPortal() as portal:
            ready.set_result(portal)
            await portal.sleep_until_stopped()

    def run() -> None:
        try:
            anyio.run(serve)
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)

    thread = threading.Thread(target=run, name="turnloom-mcp", daemon=True)
    thread.start()
    return ready.result(), thread


def _seconds(value: float) -> str:
    return f"{value:g} s"


class McpClient:
    """One connection to an MCP server: ``start()``, ``list_tools()``, ``call_tool()``, ``close()``.

    Give either ``command`` (with ``args``, ``env`` merged over the SDK's safe default
    environment, and ``cwd``) for a stdio server, or ``url`` for a streamable HTTP server.
    ``timeout`` bounds start-up, each request and shut-down.
    """

    def __init__(
        self,
        command: str | None = None,
        args: Sequence[str] = (),
        *,
        url: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if (command is None) == (url is None):
            raise McpClientError("MCP server: give either a command or a URL")
        if not (timeout > 0 and math.isfinite(timeout)):
            raise McpClientError(f"MCP server: timeout must be a positive number of seconds, got {timeout!r}")
        self.command = command
        self.args = list(args)
        self.url = url
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.timeout = float(timeout)
        self.server_info: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        self._portal: BlockingPortal | None = None
        self._task: Future[None] | None = None
        self._session: ClientSession | None = None
        self._closing: anyio.Event | None = None
        self._errlog: IO[str] | None = None

    @classmethod
    def from_command_line(cls, line: str, **kwargs: Any) -> McpClient:
        """A stdio client for a shell-style command line such as ``"uvx mcp-server-git --repository ."``."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise McpClientError(f"MCP server {line!r}: cannot parse the command line ({exc})") from None
        if not words:
            raise McpClientError("MCP server: expected a command to start it, got an empty string")
        return cls(words[0], words[1:], **kwargs)

    @property
    def label(self) -> str:
        """How errors name the server: its command line or its URL."""
        if self.url is not None:
            return self.url
        return shlex.join([self.command or "", *self.args])

    def _error(self, what: str) -> McpClientError:
        message = f"MCP server {self.label}: {what}"
        tail = self._stderr_tail()
        if tail:
            message += f" (server stderr: {tail})"
        return McpClientError(message)

    def _stderr_tail(self) -> str:
        if self._errlog is None:
            return ""
        try:
            self._errlog.flush()
            self._errlog.seek(0)
            lines = [ln.strip() for ln in self._errlog.read().splitlines() if ln.strip()]
        except (OSError, ValueError):
            return ""
        tail = lines[-1] if lines else ""
        return tail if len(tail) <= 200 else tail[:197] + "..."

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> McpClient:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> McpClient:
        """Start (or connect to) the server and complete the MCP handshake; raise on failure."""
        if self._portal is not None:
            return self
        if self.command is not None:
            self._errlog = tempfile.TemporaryFile(  # noqa: SIM115 - kept open for the server's lifetime
                mode="w+", encoding="utf-8", errors="replace")
        self._portal, self._thread = _start_portal()
        try:
            self._task, _ = self._portal.start_task(self._serve)
        except (KeyboardInterrupt, SystemExit):
            self.close()
            raise
        except BaseException as exc:
            try:
                error = self._error(_reason(exc))
            finally:
                self.close()
            raise error from None
        return self

    def _transport(self) -> Any:
        if self.url is not None:
            return _http_client(self.url)
        params = StdioServerParameters(command=self.command or "", args=self.args, env=self.env, cwd=self.cwd)
        return stdio_client(params, errlog=self._errlog)  # type: ignore[arg-type]

    async def _serve(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        async with AsyncExitStack() as stack:
            streams = await stack.enter_async_context(self._transport())
            session = await stack.enter_async_context(ClientSession(streams[0], streams[1]))
            try:
                with anyio.fail_after(self.timeout):
                    init = await session.initialize()
            except TimeoutError:
                raise TimeoutError(f"no answer to the MCP handshake within {_seconds(self.timeout)}") from None
            except Exception as exc:
                raise RuntimeError(f"the MCP handshake failed: {_reason(exc)}") from None
            info = getattr(init, "server_info", None) or getattr(init, "serverInfo", None)
            self.server_info = info.model_dump(mode="json", by_alias=True, exclude_none=True) if info else {}
            self._session = session
            self._closing = anyio.Event()
            task_status.started()
            await self._closing.wait()

    def close(self) -> None:
        """Stop the server (stdio) or end the session (HTTP); safe to call more than once."""
        portal, task, thread, closing = self._portal, self._task, self._thread, self._closing
        self._portal = self._task = self._thread = self._closing = self._session = None
        if portal is not None:
            try:
                if task is not None and not task.done() and closing is not None:
                    portal.call(closing.set)
                    try:
                        task.result(timeout=self.timeout)
                    except FutureTimeout:
                        task.cancel()
                    except BaseException:
                        pass  # the session failed; what is left is stopped below
            finally:
                with suppress(BaseException):  # the loop may have ended already
                    portal.call(portal.stop, True)
                if thread is not None:
                    thread.join(timeout=self.timeout)
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    # -- requests --------------------------------------------------------------------------

    def _request(self, what: str, fn: Any, *args: Any, limit: float | None = None) -> Any:
        if self._portal is None or self._session is None:
            raise McpClientError(f"MCP server {self.label}: not started (call start() first)")
        try:
            return self._portal.call(fn, *args)
        except McpClientError:
            raise
        except TimeoutError:
            raise self._error(f"no answer to {what} within {_seconds(limit or self.timeout)}") from None
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise self._error(f"{what} failed: {_reason(exc)}") from None

    async def _alist_tools(self) -> list[dict[str, Any]]:
        assert self._session is not None
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            with anyio.fail_after(self.timeout):
                if cursor is None:
                    page = await self._session.list_tools()
                else:
                    page = await self._session.list_tools(params=mcp_types.PaginatedRequestParams(cursor=cursor))
            tools.extend(t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in page.tools)
            cursor = getattr(page, "next_cursor", None) or getattr(page, "nextCursor", None)
            if not cursor or cursor in seen:
                break
            seen.add(cursor)
        return tools

    def list_tools(self) -> list[dict[str, Any]]:
        """The server's tools as ``tools/list`` returns them (JSON, camelCase keys), all pages."""
        result: list[dict[str, Any]] = self._request("tools/list", self._alist_tools)
        return result

    def import_tools(self, *, domain: str | None = None) -> ImportResult:
        """The server's tools as ToolSpecs, converted exactly as a saved ``tools/list`` file is,
        with the import report (what was skipped, renamed or deduplicated, and why)."""
        report = ImportReport(self.label, "mcp")
        tools = _import_mcp({"tools": self.list_tools()}, self.label, domain, report)
        return ImportResult(tools, report)

    def tool_specs(self, *, domain: str | None = None) -> list[ToolSpec]:
        """The server's tools as ToolSpecs (see :meth:`import_tools`)."""
        return self.import_tools(domain=domain).tools

    async def _acall(self, name: str, arguments: dict[str, Any], timeout: float) -> McpCallResult:
        assert self._session is not None
        try:
            with anyio.fail_after(timeout):
                result = await self._session.call_tool(name, arguments)
        except Exception as exc:
            error = getattr(exc, "error", None)
            code = getattr(error, "code", None)
            if type(exc).__name__ in ("MCPError", "McpError") and code != mcp_types.CONNECTION_CLOSED:
                return McpCallResult([{"type": "text", "text": str(exc)}], None, True)  # a JSON-RPC error answer
            raise
        content = [block.model_dump(mode="json", by_alias=True, exclude_none=True) for block in result.content]
        structured = getattr(result, "structured_content", None) or getattr(result, "structuredContent", None)
        is_error = bool(getattr(result, "is_error", None) or getattr(result, "isError", None))
        return McpCallResult(content, structured, is_error)

    def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None, *,
                  timeout: float | None = None) -> McpCallResult:
        """Call one tool. A tool error or a JSON-RPC error answer comes back with ``is_error``;
        a dead or silent server raises :class:`McpClientError`."""
        limit = self.timeout if timeout is None else timeout
        result: McpCallResult = self._request(f"tools/call {name!r}", self._acall, name, dict(arguments or {}), limit,
                                              limit=limit)
        return result


def import_server_tools(
    *,
    server: str | None = None,
    url: str | None = None,
    domain: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> ImportResult:
    """The tools of a live server (``server``: a command line for stdio; ``url``: streamable HTTP)
    and the import report. Raises :class:`McpClientError` when the server cannot be used and
    :class:`ToolImportError` when none of its tools can be imported."""
    if (server is None) == (url is None):
        raise McpClientError("MCP server: give either a command line (--server) or a URL (--url)")
    if url is not None:
        if not url.startswith(("http://", "https://")):
            raise McpClientError(f"MCP server {url}: expected an http:// or https:// URL")
        client = McpClient(url=url, timeout=timeout)
    else:
        client = McpClient.from_command_line(server or "", env=env, cwd=cwd, timeout=timeout)
    with client:
        result = client.import_tools(domain=domain)
    if not result.tools:
        report = result.report
        first = next((i for i in report.issues if i.kind == "skipped"), None)
        if first is None:
            raise McpClientError(f"MCP server {client.label}: expected at least one tool, the server lists none")
        reason = first.reason.removeprefix("expected ")
        raise ToolImportError(first.file, first.path, f"{reason} (nothing imported: {report.skipped} of "
                              f"{report.seen} tools skipped)")
    return result
