"""Importing tools from live MCP servers (stdio and streamable HTTP), and calling them.

Real servers: mcp-server-time and mcp-server-git (PyPI), @modelcontextprotocol/server-memory (npm,
installed under ~/.cache/turnloom-tests/npm or $TURNLOOM_TEST_NPM_DIR), and a tiny server of the
SDK's own served over streamable HTTP on 127.0.0.1 (tests/fixtures/mcp/http_server.py).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mcp", reason="the MCP SDK is not installed (pip install 'turnloom[mcp]')")

from typer.testing import CliRunner  # noqa: E402

from turnloom.cli import app  # noqa: E402
from turnloom.tools_env.importers import ImportResult, import_tools  # noqa: E402
from turnloom.tools_env.mcp_client import McpClient, McpClientError, import_server_tools  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mcp"
NPM_DIR = Path(os.environ.get("TURNLOOM_TEST_NPM_DIR") or Path.home() / ".cache" / "turnloom-tests" / "npm")
MEMORY_JS = NPM_DIR / "node_modules" / "@modelcontextprotocol" / "server-memory" / "dist" / "index.js"


def _script(name: str) -> str | None:
    """A console script of this interpreter's environment, else one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


TIME_SERVER = _script("mcp-server-time")
GIT_SERVER = _script("mcp-server-git")
needs_time = pytest.mark.skipif(TIME_SERVER is None, reason="mcp-server-time is not installed "
                                "(pip install mcp-server-time)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(FIXTURES / "http_server.py"), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the HTTP fixture server exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the HTTP fixture server did not listen within 30 s")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tools_list_over_raw_stdio(command: list[str]) -> dict[str, object]:
    """A saved ``tools/list`` answer, taken by speaking JSON-RPC to the server by hand (not via the SDK)."""
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        def send(message: dict[str, object]) -> None:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()

        def answer(request_id: int) -> dict[str, object]:
            assert proc.stdout is not None
            while True:
                message = json.loads(proc.stdout.readline())
                if message.get("id") == request_id:
                    return message

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "0"}}})
        assert "result" in answer(1)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        return answer(2)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- stdio servers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def time_import() -> ImportResult:
    if TIME_SERVER is None:
        pytest.skip("mcp-server-time is not installed (pip install mcp-server-time)")
    return import_server_tools(server=TIME_SERVER, domain="time")


def test_time_server_tools_schemas_and_annotations(time_import: ImportResult) -> None:
    result = time_import
    tools = {t.name: t for t in result.tools}
    assert set(tools) == {"get_current_time", "convert_time"}
    current = tools["get_current_time"]
    assert current.parameters["required"] == ["timezone"]
    assert current.parameters["properties"]["timezone"]["type"] == "string"
    assert current.returns is not None and {"timezone", "datetime"} <= set(current.returns["properties"])
    assert current.tags == ["mcp", "read-only", "idempotent"]
    assert set(tools["convert_time"].required) == {"source_timezone", "time", "target_timezone"}
    assert current.domain == "time"
    assert result.report.seen == result.report.imported == 2
    assert result.report.source == TIME_SERVER


def test_live_listing_equals_saved_tools_list_file(tmp_path: Path, time_import: ImportResult) -> None:
    saved = tmp_path / "tools_list.json"
    saved.write_text(json.dumps(_tools_list_over_raw_stdio([str(TIME_SERVER)])), encoding="utf-8")
    from_file = import_tools("mcp", saved, domain="time")
    live = time_import.tools
    assert [t.model_dump() for t in live] == [t.model_dump() for t in from_file]
    assert all(t.domain == "time" for t in live)


@needs_time
def test_call_tool_returns_content_structured_data_and_tool_errors() -> None:
    with McpClient.from_command_line(str(TIME_SERVER), timeout=20) as client:
        assert client.server_info.get("name")
        ok = client.call_tool("get_current_time", {"timezone": "UTC"})
        assert not ok.is_error
        assert ok.structured is not None and ok.structured["timezone"] == "UTC"
        assert json.loads(ok.text)["timezone"] == "UTC"
        bad = client.call_tool("get_current_time", {"timezone": "Nowhere/Atlantis"})
        assert bad.is_error and "Nowhere/Atlantis" in bad.text
        unknown = client.call_tool("no_such_tool", {})
        assert unknown.is_error
    with pytest.raises(McpClientError, match="not started"):
        client.list_tools()


@pytest.mark.skipif(GIT_SERVER is None, reason="mcp-server-git is not installed (pip install mcp-server-git)")
def test_git_server_on_a_temporary_repository(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with McpClient(str(GIT_SERVER), ["--repository", str(repo)], cwd=tmp_path) as client:
        tools = {t.name: t for t in client.tool_specs(domain="git")}
        status = client.call_tool("git_status", {"repo_path": str(repo)})
    assert {"git_status", "git_log", "git_commit", "git_reset"} <= set(tools)
    assert "read-only" in tools["git_status"].tags
    assert "destructive" in tools["git_reset"].tags and "read-only" not in tools["git_reset"].tags
    assert "repo_path" in tools["git_log"].required
    assert not status.is_error and "No commits yet" in status.text


@pytest.mark.skipif(shutil.which("node") is None or not MEMORY_JS.exists(),
                    reason=f"node or @modelcontextprotocol/server-memory is missing (npm install --prefix {NPM_DIR} "
                    "@modelcontextprotocol/server-memory)")
def test_memory_server_from_npm(tmp_path: Path) -> None:
    memory = tmp_path / "memory.jsonl"
    client = McpClient(str(shutil.which("node")), [str(MEMORY_JS)], env={"MEMORY_FILE_PATH": str(memory)})
    with client:
        tools = {t.name: t for t in client.tool_specs()}
        created = client.call_tool("create_entities", {"entities": [
            {"name": "Ada", "entityType": "person", "observations": ["writes programs"]}]})
        found = client.call_tool("search_nodes", {"query": "Ada"})
    assert {"create_entities", "read_graph", "search_nodes", "delete_entities"} <= set(tools)
    assert tools["read_graph"].tags == ["mcp", "read-only", "idempotent"]
    assert "destructive" in tools["delete_entities"].tags
    assert tools["read_graph"].returns is not None
    assert not created.is_error and "Ada" in found.text
    assert memory.exists()


# -- streamable HTTP ----------------------------------------------------------------------------


def test_streamable_http_server(http_url: str) -> None:
    tools = {t.name: t for t in import_server_tools(url=http_url, domain="notes").tools}
    assert set(tools) == {"get_note", "delete_note", "add_note"}
    assert tools["get_note"].tags == ["mcp", "read-only", "idempotent"]
    assert tools["delete_note"].tags == ["mcp", "destructive"]
    assert tools["add_note"].tags == ["mcp"]
    assert tools["add_note"].required == ["text"]
    assert tools["get_note"].returns is not None and set(tools["get_note"].returns["required"]) == {"note_id", "text"}
    with McpClient(url=http_url) as client:
        added = client.call_tool("add_note", {"text": "buy milk"})
        assert added.structured == {"note_id": "n1", "text": "buy milk"}
        assert client.call_tool("get_note", {"note_id": "n1"}).structured == added.structured


def test_http_url_that_nobody_serves() -> None:
    url = f"http://127.0.0.1:{_free_port()}/mcp"
    started = time.monotonic()
    with pytest.raises(McpClientError) as info:
        import_server_tools(url=url, timeout=5)
    assert time.monotonic() - started < 15
    message = str(info.value)
    assert message.startswith(f"MCP server {url}: ") and "\n" not in message


# -- servers that fail ---------------------------------------------------------------------------


def test_command_that_does_not_exist() -> None:
    with pytest.raises(McpClientError, match=r"^MCP server no-such-mcp-server-xyz --flag: command not found"):
        import_server_tools(server="no-such-mcp-server-xyz --flag")


def test_server_that_exits_at_once_quotes_its_stderr() -> None:
    started = time.monotonic()
    with pytest.raises(McpClientError) as info:
        import_server_tools(server=f"{sys.executable} {FIXTURES / 'exit_server.py'}", timeout=10)
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "\n" not in message and "closed the connection" in message
    assert "server stderr: exit_server: missing configuration, giving up" in message


def test_server_that_hangs_times_out_and_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(McpClientError, match=r"no answer to the MCP handshake within 1 s$"):
        import_server_tools(server=f"{sys.executable} {FIXTURES / 'hang_server.py'} {pid_file}", timeout=1)
    assert time.monotonic() - started < 15
    pid = int(pid_file.read_text(encoding="utf-8"))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_slow_tool_times_out_and_a_crashed_server_fails_every_later_call() -> None:
    with McpClient(sys.executable, [str(FIXTURES / "crash_server.py")], timeout=20) as client:
        assert client.call_tool("echo", {"text": "hi"}).text == "hi"
        started = time.monotonic()
        with pytest.raises(McpClientError, match=r"no answer to tools/call 'wait' within 0.5 s"):
            client.call_tool("wait", {"seconds": 30}, timeout=0.5)
        assert time.monotonic() - started < 5
        assert client.call_tool("echo", {"text": "still here"}).text == "still here"
        with pytest.raises(McpClientError) as info:
            client.call_tool("crash")
        message = str(info.value)
        assert "tools/call 'crash' failed: the server closed the connection" in message
        assert "server stderr: crash_server: crashing on purpose" in message and "\n" not in message
        with pytest.raises(McpClientError, match="closed the connection"):
            client.call_tool("echo", {"text": "gone"})


def test_bad_arguments() -> None:
    with pytest.raises(McpClientError, match="either a command line"):
        import_server_tools()
    with pytest.raises(McpClientError, match="http:// or https://"):
        import_server_tools(url="ftp://example.org/mcp")
    with pytest.raises(McpClientError, match="empty string"):
        McpClient.from_command_line("   ")
    with pytest.raises(McpClientError, match="cannot parse"):
        McpClient.from_command_line("server 'unclosed")
    with pytest.raises(McpClientError, match="positive number"):
        McpClient("x", timeout=0)


# -- the CLI -------------------------------------------------------------------------------------


@needs_time
def test_cli_pool_import_mcp_server(tmp_path: Path) -> None:
    out = tmp_path / "pool.jsonl"
    result = CliRunner().invoke(app, ["pool", "import", "mcp", "--server", str(TIME_SERVER), "-o", str(out),
                                      "--domain", "time"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [t["name"] for t in lines] == ["get_current_time", "convert_time"]
    assert all(t["domain"] == "time" and "read-only" in t["tags"] for t in lines)
    assert "wrote 2 tools" in result.output


def test_cli_pool_import_mcp_url(tmp_path: Path, http_url: str) -> None:
    out = tmp_path / "pool.jsonl"
    result = CliRunner().invoke(app, ["pool", "import", "mcp", "--url", http_url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


@pytest.mark.parametrize(("args", "expected"), [
    (["mcp", "--server", "no-such-mcp-server-xyz"], "MCP server no-such-mcp-server-xyz: command not found"),
    (["openai", "--server", "x"], "expected the mcp kind"),
    (["mcp", "some.json", "--server", "x"], "expected one source"),
    (["mcp", "--server", "x", "--url", "http://127.0.0.1:9/mcp"], "expected one source"),
    (["mcp"], "SRC: expected a file to import"),
])
def test_cli_errors_are_one_line_and_write_nothing(tmp_path: Path, args: list[str], expected: str) -> None:
    out = tmp_path / "pool.jsonl"
    result = CliRunner().invoke(app, ["pool", "import", *args, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if line.strip()][0].startswith("error:")
    assert not out.exists()


def test_cli_server_that_exits_at_once(tmp_path: Path) -> None:
    out = tmp_path / "pool.jsonl"
    result = CliRunner().invoke(app, ["pool", "import", "mcp", "--server",
                                      f"{sys.executable} {FIXTURES / 'exit_server.py'}", "-o", str(out)])
    assert result.exit_code == 2
    assert "exit_server: missing configuration" in result.output and "Traceback" not in result.output
    assert not out.exists()
