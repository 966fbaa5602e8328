"""Live tools: calls answered by a real MCP server, recorded in a cassette and replayed from it.

A :class:`LiveBackend` answers the calls of the tools a live MCP server lists. Every answer is
recorded under its key (the dialogue's world seed, the call's position on the world clock, the
tool and its canonical arguments) in memory and, when recording, appended durably to a cassette
(JSONL). A call whose key was answered before is never sent again: it gets the recorded answer.
That is how state replay verifies a live dialogue, and how ``--replay CASSETTE`` reruns a whole
run offline, without the server, to the same bytes.

Cassette lines: first ``{"kind": "tools", "server": ..., "tools": [ToolSpec, ...]}`` (so a
replay knows the tools without the server), then one ``{"kind": "call", "dialogue": i, "call":
clock, "world_seed": s, "tool": name, "arguments": {...}, "result": {"content": ..., "error":
...}}`` per answer. :meth:`LiveBackend.finish` rewrites the file sorted by dialogue and call.

The World keeps what it saw: each answer is put in ``world.memo`` under ``live:<clock>``, so the
digest of a live dialogue is deterministic given the cassette.

A server that fails (it exited, stopped answering) or a replayed call the cassette lacks is a
:class:`LiveToolError`; the backend remembers the first one in :attr:`LiveBackend.failure` so
that a run can stop cleanly and be resumed.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from turnloom.schema import ToolCall, ToolResult, ToolSpec, canonical_json
from turnloom.tools_env.world import World

__all__ = ["LiveBackend", "LiveToolError", "live_backend"]

_Key = tuple[int, int, str, str]
#: backends of this process by :attr:`LiveBackend.key` (the verifier finds its dialogue's backend here)
_BACKENDS: dict[str, LiveBackend] = {}


class LiveToolError(RuntimeError):
    """A live tool server that failed, or a replayed call without a recorded answer (one line)."""


def live_backend(key: str | None) -> LiveBackend | None:
    """The backend of this process registered under ``key`` (None when there is none)."""
    return _BACKENDS.get(key) if key else None


def _resolve_command(command: str) -> str:
    """``command`` on PATH, else beside this interpreter (a server installed in the same venv)."""
    if os.sep in command or shutil.which(command):
        return command
    local = Path(sys.executable).parent / command
    return str(local) if local.exists() else command


def _line(item: Any) -> str:
    """One cassette line: compact JSON that keeps key order (a replay must give the same bytes)."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _content(result: Any) -> tuple[Any, str | None]:
    """(content, error) of an :class:`~turnloom.tools_env.mcp_client.McpCallResult` as JSON data."""
    if result.is_error:
        return None, result.text or "the tool reported an error"
    if result.structured is not None:
        return result.structured, None
    if result.content and all(b.get("type") == "text" for b in result.content):
        text = result.text
        try:
            return json.loads(text), None
        except ValueError:
            return text, None
    return list(result.content), None


class LiveBackend:
    """Answers the calls of live MCP tools, from the server or from a cassette."""

    def __init__(self, tools: list[ToolSpec], *, label: str, client: Any = None,
                 record: Path | None = None, replay: Path | None = None) -> None:
        self.tools = tools
        self.names = frozenset(t.name for t in tools)
        self.label = label
        self.record = record
        self.replay = replay
        self.failure: str | None = None
        #: a replayed call the cassette lacks fails the backend (else it is a tool error)
        self.strict = True
        self.key = f"live-{id(self):x}"
        self._client = client
        self._entries: dict[_Key, dict[str, Any]] = {}
        self._dialogues: dict[int, int] = {}
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        self._append = False
        self._dirty = False
        _BACKENDS[self.key] = self
        atexit.register(self.close)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def start(cls, server: Mapping[str, Any], *, record: Path | None = None, resume: bool = False,
              domain: str | None = None) -> LiveBackend:
        """Start the server described by ``server`` (``command``/``args``/``env``/``cwd`` or ``url``,
        ``timeout``) and list its tools; with ``record``, answers go to that cassette (``resume``:
        the answers already in it are reused and new ones appended)."""
        from turnloom.tools_env.mcp_client import DEFAULT_TIMEOUT, McpClient, McpClientError

        timeout = float(server.get("timeout") or DEFAULT_TIMEOUT)
        if server.get("url"):
            client = McpClient(url=str(server["url"]), timeout=timeout)
        else:
            client = McpClient(_resolve_command(str(server.get("command") or "")), list(server.get("args") or []),
                               env=server.get("env") or None, cwd=server.get("cwd") or None, timeout=timeout)
        try:
            client.start()
            tools = client.tool_specs(domain=domain)
        except McpClientError as exc:
            client.close()
            raise LiveToolError(str(exc)) from None
        if not tools:
            client.close()
            raise LiveToolError(f"MCP server {client.label}: expected at least one tool, the server lists none")
        backend = cls(sorted(tools, key=lambda t: t.name), label=client.label, client=client, record=record)
        if record is not None and resume and record.is_file():
            backend._load(record, need_tools=False)
            backend._append = True
        return backend

    @classmethod
    def replaying(cls, cassette: Path, *, strict: bool = True) -> LiveBackend:
        """A backend that answers only from ``cassette`` (no server). Not ``strict``: a call the
        cassette lacks is a tool error rather than a failure (for calls a run never made)."""
        backend = cls([], label=str(cassette), replay=cassette)
        backend.strict = strict
        backend._load(cassette, need_tools=True)
        return backend

    def _load(self, path: Path, *, need_tools: bool) -> None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise LiveToolError(f"cassette {path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise LiveToolError(f"cassette {path}: cannot read it ({exc})") from None
        tools: list[ToolSpec] | None = None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"cassette {path} line {n}"
            try:
                item = json.loads(line)
            except ValueError as exc:
                if n == len(lines):  # a last line cut short by a crash: the answers before it stand
                    break
                raise LiveToolError(f"{where}: expected a JSON object ({exc})") from None
            kind = item.get("kind") if isinstance(item, dict) else None
            try:
                if kind == "tools":
                    tools = [ToolSpec.model_validate(t) for t in item["tools"]]
                elif kind == "call":
                    key = (int(item["world_seed"]), int(item["call"]), str(item["tool"]),
                           canonical_json(item["arguments"]))
                    if not isinstance(item["result"], dict):
                        raise TypeError("result is not an object")
                    self._entries[key] = item
                    self._dialogues.setdefault(key[0], int(item["dialogue"]))
                else:
                    raise KeyError("kind")
            except (KeyError, TypeError, ValueError) as exc:
                raise LiveToolError(f"{where}: expected a 'tools' line or a 'call' line with dialogue, call, "
                                    f"world_seed, tool, arguments and result ({type(exc).__name__}: {exc})") from None
        if need_tools:
            if not tools:
                raise LiveToolError(f"cassette {path}: expected a first line listing the tools "
                                    '({"kind": "tools", ...}); record the cassette with a live run')
            self.tools = sorted(tools, key=lambda t: t.name)
            self.names = frozenset(t.name for t in self.tools)

    # -- calls -----------------------------------------------------------------------------
    def note_dialogue(self, world_seed: int, index: int) -> None:
        """Dialogue ``index`` runs on worlds seeded ``world_seed`` (how the cassette is ordered)."""
        with self._lock:
            self._dialogues[world_seed] = index

    def call(self, world: World, call: ToolCall) -> tuple[World, ToolResult]:
        """Answer one call (the world has been ticked for it); raise :class:`LiveToolError` when
        neither the cassette nor the server can answer."""
        args = canonical_json(call.arguments)
        key: _Key = (world.seed, world.clock, call.name, args)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._answer(key, call)
        result = entry["result"]
        seen = {"tool": call.name, "arguments": call.arguments, **result}
        world = world.with_memo(f"live:{world.clock:06d}", seen)
        return world, ToolResult(call_id=call.id, name=call.name, content=result.get("content"),
                                 error=result.get("error"))

    def _answer(self, key: _Key, call: ToolCall) -> dict[str, Any]:
        dialogue = self._dialogues.get(key[0], -1)
        if self.failure is not None:
            raise LiveToolError(self.failure)
        if self._client is None and not self.strict:
            return {"result": {"content": None, "error": f"no recorded answer for {call.name}({key[3]}) in "
                                                         f"cassette {self.replay}"}}
        if self._client is None:
            self.failure = (f"cassette {self.replay}: no recorded answer for dialogue {dialogue}, call {key[1]}: "
                            f"{call.name}({key[3]}); record it again with a live run of the same scenario, "
                            "seed and number of dialogues")
            raise LiveToolError(self.failure)
        from turnloom.tools_env.mcp_client import McpClientError

        try:
            got = self._client.call_tool(call.name, call.arguments)
        except McpClientError as exc:
            self.failure = str(exc)
            raise LiveToolError(self.failure) from None
        content, error = _content(got)
        entry = {"kind": "call", "dialogue": dialogue, "call": key[1], "world_seed": key[0], "tool": call.name,
                 "arguments": call.arguments, "result": {"content": content, "error": error}}
        try:  # what a replay will read back, exactly
            entry = json.loads(_line(entry))
        except (TypeError, ValueError) as exc:
            self.failure = f"MCP server {self.label}: {call.name} answered with data that is not JSON ({exc})"
            raise LiveToolError(self.failure) from None
        self._entries[key] = entry
        self._write(entry)
        return entry

    # -- the cassette ----------------------------------------------------------------------
    def _header(self) -> dict[str, Any]:
        return {"kind": "tools", "server": self.label, "tools": [t.model_dump(mode="json") for t in self.tools]}

    def _write(self, entry: dict[str, Any]) -> None:
        if self.record is None:
            return
        if self._file is None:
            self.record.parent.mkdir(parents=True, exist_ok=True)
            append = self._append and self.record.is_file()
            self._file = self.record.open("a" if append else "w", encoding="utf-8")
            if not append:
                self._file.write(_line(self._header()) + "\n")
        self._file.write(_line(entry) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._dirty = True

    def finish(self) -> None:
        """Stop the server and rewrite the cassette in dialogue order (atomically)."""
        self.close()
        with self._lock:
            if self.record is None or not self._dirty:
                return
            entries = sorted(self._entries.values(), key=lambda e: (e["dialogue"], e["call"], e["tool"],
                                                                    canonical_json(e["arguments"])))
            tmp = self.record.with_name(self.record.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(_line(self._header()) + "\n")
                for e in entries:
                    fh.write(_line(e) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.record)
            self._dirty = False

    def close(self) -> None:
        """Stop the server and close the cassette file; safe to call more than once."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
        if self._file is not None:
            self._file.close()
            self._file = None
