"""iTool commands against models that are mistyped, dead or failing, and Ctrl-C in ``mcts``:
each stops at once with one line naming the endpoint, and ``mcts`` keeps the pairs it found."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from itool_helpers import Reply, ScriptedOpenAIServer, cli_app
from typer.testing import CliRunner

from turnloom.schema import Dialogue

runner = CliRunner()
DEAD = "http://127.0.0.1:9/v1"
TURNLOOM = str(Path(sys.executable).with_name("turnloom"))

def _sigint_default() -> None:
    """Give the child Ctrl-C's default disposition: a test run started in the background
    (as a CI job may be) inherits SIGINT ignored, and Python then never sees the signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)



def _first_user(d: Dialogue) -> str:
    return next(m.content for m in d.messages if m.role == "user")


def _mentions(body: dict[str, Any], text: str) -> bool:
    return any(isinstance(m, dict) and m.get("content") == text for m in body.get("messages", []))


def test_eval_with_a_typo_for_offline_is_an_error(travel_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli_app(), ["eval", str(travel_file), "--model", "ofline", "-o", str(tmp_path / "e")])
    assert result.exit_code == 2, result.output
    assert "'ofline'" in result.output and "'offline'" in result.output
    assert not (tmp_path / "e").exists()


def test_eval_and_mcts_against_a_dead_model_stop_before_any_work(travel_file: Path, tmp_path: Path) -> None:
    for args in (["eval", str(travel_file), "-o", str(tmp_path / "e")],
                 ["mcts", str(travel_file), "-o", str(tmp_path / "p.jsonl")],
                 ["itool", str(travel_file), "-o", str(tmp_path / "i")]):
        start = time.monotonic()
        result = runner.invoke(cli_app(), [*args, "--model", f"openai:policy@{DEAD}"])
        assert time.monotonic() - start < 30
        assert result.exit_code == 2, result.output
        assert "--model" in result.output and DEAD in result.output and "connection error" in result.output
        assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_mcts_keeps_the_pairs_found_when_the_model_dies(travel: list[Dialogue], travel_file: Path,
                                                         tmp_path: Path) -> None:
    second = _first_user(travel[1])

    def script(body: dict[str, Any]) -> Reply:
        if _mentions(body, second):  # the model goes away during the second dialogue
            return Reply(status=404, message="model unloaded")
        return Reply(content="Let me check.")

    out = tmp_path / "pairs.jsonl"
    with ScriptedOpenAIServer(script=script) as server:
        result = runner.invoke(cli_app(), ["mcts", str(travel_file), "-o", str(out), "--model",
                                           f"openai:policy@{server.url}", "--samples", "1", "--iterations", "2"])
    assert result.exit_code == 1, result.output
    assert "model unloaded" in result.output and f"of {len(travel)} dialogues written" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and {r["meta"]["dialogue_id"] for r in rows} == {travel[0].id}


def test_ctrl_c_in_mcts_writes_the_pairs_found_and_exits_130(travel: list[Dialogue], travel_file: Path,
                                                              tmp_path: Path) -> None:
    second = _first_user(travel[1])
    assert all(_first_user(d) != second for d in travel[:1])
    with ScriptedOpenAIServer(script=lambda body: Reply(content="Let me check.", delay=0.2)) as server:
        out = tmp_path / "pairs.jsonl"
        proc = subprocess.Popen(
            [TURNLOOM, "mcts", str(travel_file), "-o", str(out), "--model", f"openai:policy@{server.url}",
             "--samples", "1", "--iterations", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
            preexec_fn=_sigint_default)
        try:
            deadline = time.monotonic() + 120
            while not any(_mentions(r.body, second) for r in server.chat_requests if isinstance(r.body, dict)):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the second dialogue never started"
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            sent = time.monotonic()
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert time.monotonic() - sent < 10
    assert proc.returncode == 130, err
    assert "interrupted" in err and f"from 1 of {len(travel)} dialogues" in err and "Traceback" not in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and {r["meta"]["dialogue_id"] for r in rows} == {travel[0].id}
