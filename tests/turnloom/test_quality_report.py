"""Quality measures and the run report."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.quality import distinct_n, lexical_coherence, word_entropy

runner = CliRunner()


def test_distinct_and_entropy_on_known_texts() -> None:
    texts = ["a b a b", "a b c"]
    assert distinct_n(texts, 1) == pytest.approx(3 / 7)
    assert distinct_n(texts, 2) == pytest.approx(3 / 5)  # ab, ba, ab | ab, bc
    assert distinct_n([], 3) == 0.0
    assert word_entropy(["x y", "x y"]) == pytest.approx(1.0)
    assert word_entropy(["a b c d"]) == pytest.approx(math.log2(4))
    assert lexical_coherence([("book a flight", "book a flight")]) == pytest.approx(1.0)
    assert lexical_coherence([("apples", "oranges")]) == 0.0


def test_report_of_a_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", "travel", "-n", "6", "--seed", "4", "-o", str(out), "--quiet"]).exit_code == 0
    result = runner.invoke(app, ["report", str(out), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["counts"]["total"] == 6
    assert rep["lengths"]["calls"]["count"] == rep["counts"]["accepted"]
    assert 0 < rep["diversity"]["distinct_3"] <= 1 and rep["diversity"]["word_entropy_bits"] > 3
    assert sum(rep["step_kinds"].values()) > 6
    assert rep["tools"]["offered"] == 11 and rep["tools"]["used"] >= 2
    assert 0 <= rep["relevance"]["used_sets"] <= 1
    page = (out / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and "Step kinds" in page
    for external in ('src="http', "src='http", "<link", "<script", "@import"):  # self-contained
        assert external not in page


def test_report_needs_a_run_dir(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.output
