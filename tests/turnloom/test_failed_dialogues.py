"""Dialogues whose model was unavailable are failures, not data: kept apart in failed.jsonl,
counted apart in the manifest, and simulated again by --resume, so that an outage loses no
dialogue. Real scripted servers on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scripted_server import Reply, ScriptedOpenAIServer, text
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.dataset import read_dialogues
from turnloom.model_failures import MODEL_FAILURE

runner = CliRunner()


class Outage:
    """Answers every chat request in text, except while ``down`` (HTTP 503); ``down`` turns on
    at request number ``fail_from`` (1-based; never when None) until the test turns it off."""

    def __init__(self, fail_from: int | None = 3) -> None:
        self.fail_from = fail_from
        self.down = False
        self.lock = threading.Lock()
        self.served = 0

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.served += 1
            if self.down:
                return Reply(status=503, message="server restarting")
            if self.served == self.fail_from:
                self.down = True
                return Reply(status=503, message="server restarting")
        last = str(body["messages"][-1].get("content") or "")
        return text(f"Happy to help with that ({len(last)} characters read).")


@pytest.fixture
def outage() -> Iterator[tuple[ScriptedOpenAIServer, Outage]]:
    script = Outage()
    srv = ScriptedOpenAIServer(script=script).start()
    yield srv, script
    srv.stop()


def _scenario(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "travel-llm.yaml"
    path.write_text("name: travel-llm\nextends: travel\nmax_turns: 4\n"
                    f"models:\n  assistant: {{spec: 'openai:scripted-model@{url}', max_retries: 0, timeout: 5}}\n")
    return path


def _run(scenario: Path, out: Path, cache: Path, *extra: str) -> Any:
    return runner.invoke(app, ["run", str(scenario), "-n", "5", "--seed", "3", "-o", str(out), "--quiet",
                               "--concurrency", "1", "--cache", str(cache), "--max-failures", "1", *extra])


def test_an_outage_fails_dialogues_apart_and_resume_loses_none(outage: tuple[ScriptedOpenAIServer, Outage],
                                                               tmp_path: Path) -> None:
    srv, script = outage
    scenario = _scenario(tmp_path, srv.url)
    out, cache = tmp_path / "run", tmp_path / "cache.sqlite"
    first = _run(scenario, out, cache)
    assert first.exit_code == 0, first.output
    manifest = json.loads((out / "manifest.json").read_text())
    failed = list(read_dialogues(out / "failed.jsonl"))
    assert failed and manifest["counts"]["failed"] == len(failed)
    assert manifest["failure_reasons"] == {"assistant": len(failed)}
    assert MODEL_FAILURE not in manifest["rejection_reasons"]
    assert manifest["counts"]["accepted"] + manifest["counts"]["rejected"] + len(failed) == 5
    kept = [d.index for f in ("accepted.jsonl", "rejected.jsonl") for d in read_dialogues(out / f)]
    assert not set(kept) & {d.index for d in failed}
    assert f"{len(failed)} failed" in first.output

    script.down = False  # the server is back
    before = len(srv.chat_requests)
    again = _run(scenario, out, cache, "--resume")
    assert again.exit_code == 0, again.output
    assert "failed because a model was unavailable" in again.output
    resent = len(srv.chat_requests) - before
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["failed"] == 0 and manifest["failure_reasons"] == {}
    assert (out / "failed.jsonl").read_text() == ""
    written = sorted(d.index for f in ("accepted.jsonl", "rejected.jsonl") for d in read_dialogues(out / f))
    assert written == [0, 1, 2, 3, 4]

    # the same as a run that never met the outage, byte for byte
    clean_srv = ScriptedOpenAIServer(script=Outage(fail_from=None)).start()
    (tmp_path / "clean").mkdir()
    try:
        clean_scenario = _scenario(tmp_path / "clean", clean_srv.url)
        clean = _run(clean_scenario, tmp_path / "clean" / "run", tmp_path / "clean" / "cache.sqlite")
        assert clean.exit_code == 0, clean.output
        total = len(clean_srv.chat_requests)
    finally:
        clean_srv.stop()
    for name in ("accepted.jsonl", "rejected.jsonl"):
        assert (out / name).read_bytes() == (tmp_path / "clean" / "run" / name).read_bytes()
    # the cache answers every request that had succeeded: only the failed ones go out again
    assert 0 < resent < total

