"""End to end on a real local model: `turnloom run` with the assistant on SmolLM2-135M
served by llama.cpp (``scripts/local-llm.sh``). The model is weak; the test proves the
plumbing and the verifier: the run completes, every dialogue is accepted or rejected
with reasons, and the manifest shows real token counts.

    scripts/local-llm.sh install && export TURNLOOM_LLM_URL=$(scripts/local-llm.sh start)
    pytest -m llm tests/turnloom/test_run_smollm2.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.dataset import read_dialogues

pytestmark = pytest.mark.llm
URL = os.environ.get("TURNLOOM_LLM_URL", "")


@pytest.mark.skipif(not URL, reason="TURNLOOM_LLM_URL is not set (start a server with: scripts/local-llm.sh start)")
def test_run_with_smollm2_assistant(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(
        "name: travel-small\nextends: travel\nplan: {min_steps: 1, max_steps: 2}\nmax_turns: 6\n"
        "models:\n  assistant: {spec: 'openai:smollm2@" + URL + "', max_tokens: 128, timeout: 300, "
        "max_retries: 1}\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(scenario), "-n", "2", "--seed", "3", "-o", str(out), "--quiet",
                                      "--cache", str(tmp_path / "cache.sqlite"), "--concurrency", "1"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["accepted"] + manifest["counts"]["rejected"] == 2
    usage = manifest["usage"]["assistant"]
    assert usage["requests"] >= 2 and usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    for d in read_dialogues(out / "rejected.jsonl"):
        assert d.verdict.reasons, d.id  # every rejection says why
    for d in read_dialogues(out / "accepted.jsonl"):
        assert d.verdict.accepted and any(m.role == "assistant" for m in d.messages)
