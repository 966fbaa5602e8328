"""`turnloom report --sample N`: distinct-n over a seeded sample of N turns per role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.dataset import read_dialogues
from turnloom.quality import distinct_n
from turnloom.quality._metrics import sample_texts

runner = CliRunner()


def test_sample_texts_is_seeded_ordered_and_complete_when_short() -> None:
    texts = [f"turn {i}" for i in range(50)]
    picked = sample_texts(texts, 10)
    assert picked == sample_texts(texts, 10) and len(picked) == 10
    assert picked == sorted(picked, key=texts.index)  # original order kept
    assert sample_texts(texts, 10, seed=1) != picked
    assert sample_texts(texts, 80) == texts and sample_texts(texts, 0) == texts


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "run"
    result = runner.invoke(app, ["run", "travel", "-n", "6", "--seed", "4", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out


def _report(run_dir: Path, tmp: Path, *args: str) -> dict:
    target = tmp / "r.json"
    result = runner.invoke(app, ["report", str(run_dir), "--json", str(target), *args])
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text())["diversity"]


def test_report_measures_distinct_n_over_the_sample(run_dir: Path, tmp_path: Path) -> None:
    accepted = list(read_dialogues(run_dir / "accepted.jsonl"))
    users = [m.content or "" for d in accepted for m in d.messages if m.role == "user"]
    replies = [m.content for d in accepted for m in d.messages if m.role == "assistant" and m.content]
    assert len(users) > 8 and len(replies) > 8
    div = _report(run_dir, tmp_path, "--sample", "8")
    assert div["user_turns"] == len(users) and div["user_turns_sampled"] == 8
    assert div["assistant_replies_sampled"] == 8
    assert div["distinct_3"] == round(distinct_n(sample_texts(users, 8), 3), 4)
    assert div["assistant_distinct_3"] == round(distinct_n(sample_texts(replies, 8), 3), 4)
    everything = _report(run_dir, tmp_path)  # default 300 > the turns there are: all of them
    assert everything["user_turns_sampled"] == len(users)
    assert everything["distinct_3"] == round(distinct_n(users, 3), 4)
    assert _report(run_dir, tmp_path, "--sample", "0")["distinct_3"] == everything["distinct_3"]


def test_report_rejects_a_negative_sample(run_dir: Path) -> None:
    result = runner.invoke(app, ["report", str(run_dir), "--sample", "-1"])
    assert result.exit_code == 2 and "--sample" in result.output
