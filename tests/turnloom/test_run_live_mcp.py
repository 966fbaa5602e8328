"""Scenarios over live MCP servers: a run records a cassette, ``--replay`` reruns it offline to the
same bytes, a missing answer is a clear error, and a server that dies stops the run for ``--resume``.

Real servers: a small SDK server of ours (tests/fixtures/mcp/dying_server.py), mcp-server-time and
mcp-server-git (PyPI), and @modelcontextprotocol/server-memory (npm; see tests/tools_env/test_mcp_live.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mcp", reason="the MCP SDK is not installed (pip install 'turnloom[mcp]')")

import yaml  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from tests.tools_env.test_mcp_live import GIT_SERVER, MEMORY_JS, NPM_DIR, TIME_SERVER  # noqa: E402
from turnloom.cli import app  # noqa: E402

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mcp"
FILES = ("accepted.jsonl", "rejected.jsonl")


def _scenario(tmp_path: Path, name: str, mcp: dict[str, object], **extra: object) -> Path:
    data = {"name": name, "description": "live tools", "tools": {"mcp": mcp},
            "plan": {"min_steps": 2, "max_steps": 4, "require_dependent": False,
                     "mix": {"single": 0.5, "parallel": 0.2, "follow_up": 0.2, "chitchat": 0.1}}, **extra}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _forecasts(tmp_path: Path, die_at: int | None = None) -> Path:
    die = tmp_path / "die-at"
    if die_at is not None:
        die.write_text(str(die_at))
    return _scenario(tmp_path, "forecasts", {"command": sys.executable, "args": [str(FIXTURES / "dying_server.py")],
                                            "env": {"DIE_FILE": str(die)}})


def _run(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, ["run", *map(str, args), "--quiet"])
    return result.exit_code, result.output


def _lines(folder: Path) -> list[dict]:
    return [json.loads(line) for f in FILES for line in (folder / f).read_text().splitlines()]


def _same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_live_run_records_a_cassette_and_replay_needs_no_server(tmp_path: Path) -> None:
    live, again = tmp_path / "live", tmp_path / "replay"
    code, out = _run(_forecasts(tmp_path), "-n", 5, "--seed", 3, "-o", live, "--concurrency", 3)
    assert code == 0, out
    lines = (live / "cassette.jsonl").read_text().splitlines()
    header, calls = json.loads(lines[0]), [json.loads(x) for x in lines[1:]]
    assert header["kind"] == "tools" and {t["name"] for t in header["tools"]} == {"get_forecast", "get_air_quality"}
    assert calls and [(c["dialogue"], c["call"]) for c in calls] == sorted((c["dialogue"], c["call"]) for c in calls)
    dialogues = _lines(live)
    results = [m["result"] for d in dialogues for m in d["messages"] if m["role"] == "tool"]
    recorded = [c["result"]["content"] for c in calls]
    assert results and all(r["content"] in recorded for r in results)
    # the World keeps what it saw: every answer is in the final world
    assert any(k.startswith("live:") for d in dialogues for k in d["world_final"]["memo"])
    assert any(d["verdict"]["accepted"] for d in dialogues)

    # the replay's server command does not exist: every answer comes from the cassette
    (tmp_path / "gone").mkdir()
    gone = _scenario(tmp_path / "gone", "forecasts", {"command": str(tmp_path / "no-such-server")})
    code, out = _run(gone, "-n", 5, "--seed", 3, "-o", again, "--replay", live / "cassette.jsonl")
    assert code == 0, out
    _same_files(live, again)
    assert not (again / "cassette.jsonl").exists()

    code, out = _run(gone, "-n", 5, "--seed", 3, "-o", again, "--overwrite")  # live again: no server
    assert code == 2 and "no-such-server" in out and "Traceback" not in out


def test_replay_with_a_missing_answer_is_a_clear_error(tmp_path: Path) -> None:
    live = tmp_path / "live"
    assert _run(_forecasts(tmp_path), "-n", 2, "--seed", 3, "-o", live)[0] == 0
    code, out = _run(_forecasts(tmp_path), "-n", 4, "--seed", 3, "-o", tmp_path / "more",
                     "--replay", live / "cassette.jsonl")
    assert code == 1, out
    assert "no recorded answer for dialogue" in out and "cassette.jsonl" in out and "Traceback" not in out
    code, out = _run(_forecasts(tmp_path), "-n", 2, "-o", tmp_path / "x", "--replay", tmp_path / "none.jsonl")
    assert code == 2 and "none.jsonl: no such file" in " ".join(out.split())
    code, out = _run("support_desk", "-n", 1, "-o", tmp_path / "y", "--replay", live / "cassette.jsonl")
    assert code == 2 and "no live MCP tools" in out


def test_a_server_that_dies_stops_the_run_and_resume_finishes_it(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    (tmp_path / "a").mkdir()
    code, out = _run(_forecasts(tmp_path / "a"), "-n", 6, "--seed", 5, "-o", clean, "--concurrency", 2)
    assert code == 0, out

    broken = tmp_path / "broken"
    scenario = _forecasts(tmp_path, die_at=5)
    code, out = _run(scenario, "-n", 6, "--seed", 5, "-o", broken, "--concurrency", 2)
    assert code == 1, out
    text = " ".join(out.split())
    assert "MCP server" in text and "--resume" in text and "Traceback" not in text
    written = _lines(broken)
    assert len(written) < 6
    assert not any("simulation error" in json.dumps(d["verdict"]) for d in written)  # spoiled ones are not kept

    code, out = _run(scenario, "-n", 6, "--seed", 5, "-o", broken, "--resume")
    assert code == 0, out
    _same_files(clean, broken)
    assert (clean / "cassette.jsonl").read_bytes() == (broken / "cassette.jsonl").read_bytes()


def test_live_tools_run_only_with_the_local_executor(tmp_path: Path) -> None:
    code, out = _run(_forecasts(tmp_path), "-n", 2, "-o", tmp_path / "o", "--executor", "process")
    assert code == 2 and "--executor local only" in out


def _live_then_replay(tmp_path: Path, scenario: Path, n: int = 3) -> list[dict]:
    live, again = tmp_path / "live", tmp_path / "replay"
    code, out = _run(scenario, "-n", n, "--seed", 2, "-o", live)
    assert code == 0, out
    code, out = _run(scenario, "-n", n, "--seed", 2, "-o", again, "--replay", live / "cassette.jsonl")
    assert code == 0, out
    _same_files(live, again)
    return _lines(live)


@pytest.mark.skipif(TIME_SERVER is None, reason="mcp-server-time is not installed (pip install mcp-server-time)")
def test_time_desk_builtin_live_and_replayed(tmp_path: Path) -> None:
    live, again = tmp_path / "live", tmp_path / "replay"
    code, out = _run("time_desk", "-n", 4, "--seed", 1, "-o", live)
    assert code == 0, out
    code, out = _run("time_desk", "-n", 4, "--seed", 1, "-o", again, "--replay", live / "cassette.jsonl")
    assert code == 0, out
    _same_files(live, again)
    calls = [c["name"] for d in _lines(live) for m in d["messages"] for c in m.get("tool_calls", [])]
    assert {"get_current_time", "convert_time"} & set(calls)


@pytest.mark.skipif(shutil.which("node") is None or not MEMORY_JS.exists(),
                    reason=f"node or @modelcontextprotocol/server-memory is missing (npm install --prefix {NPM_DIR} "
                    "@modelcontextprotocol/server-memory)")
def test_stateful_memory_server_live_and_replayed(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "memory", {"command": str(shutil.which("node")), "args": [str(MEMORY_JS)],
                                              "env": {"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")}})
    dialogues = _live_then_replay(tmp_path, scenario)
    assert any(m["role"] == "tool" for d in dialogues for m in d["messages"])


@pytest.mark.skipif(GIT_SERVER is None or shutil.which("git") is None,
                    reason="mcp-server-git or git is not installed (pip install mcp-server-git)")
def test_git_server_on_a_temporary_repository_live_and_replayed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    scenario = _scenario(tmp_path, "git", {"command": str(GIT_SERVER), "args": ["--repository", str(repo)],
                                           "cwd": str(tmp_path)})
    dialogues = _live_then_replay(tmp_path, scenario)
    assert any(m["role"] == "tool" for d in dialogues for m in d["messages"])


def test_a_bad_mcp_field_names_the_file_and_path(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "bad", {"args": ["x"]})
    code, out = _run(path, "-n", 1, "-o", tmp_path / "o")
    assert code == 2 and "tools.mcp" in out and "either command" in out and "Traceback" not in out
    path = _scenario(tmp_path, "bad2", {"url": "ftp://example.org"})
    code, out = _run(path, "-n", 1, "-o", tmp_path / "o")
    assert code == 2 and "tools.mcp.url" in out
