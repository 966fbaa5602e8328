"""`turnloom view --filter`: a tool, rule or kind name that nothing can have is an error with a
suggestion; a real name that matches no dialogue still lists nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.schema import Dialogue
from turnloom.viewer import Browser, DialogueFilter, FilterError

runner = CliRunner()


@pytest.mark.parametrize(("expr", "words"), [
    ("rule:bogus", "no verification rule has that name"),
    ("rule:grounded_arg", "did you mean rule:grounded_args?"),
    ("tool:get_wether", "did you mean tool:get_weather?"),
    ("tool:nothing_like_it", "no tool the dialogues offer has that name"),
    ("kind:paralel", "did you mean kind:parallel?"),
    ("rule:bog*", "no verification rule"),
])
def test_unknown_names_are_one_clear_error(dialogue_file: Path, expr: str, words: str) -> None:
    result = runner.invoke(app, ["view", str(dialogue_file), "--filter", expr])
    assert result.exit_code == 2, result.output
    assert words in result.output and expr.split(":")[1] in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("expr", ["rule:state_replay", "tool:book_table rule:grounded_args",
                                  "kind:follow_up tool:book_table"])
def test_known_names_that_match_nothing_list_nothing(dialogue_file: Path, expr: str) -> None:
    result = runner.invoke(app, ["view", str(dialogue_file), "--filter", expr])
    assert result.exit_code == 0, result.output
    assert "matches" in result.output


def test_browser_prompt_reports_the_typo_and_keeps_the_filter(dialogues: list[Dialogue]) -> None:
    browser = Browser(dialogues, expr="tool:get_weather")
    assert len(browser.shown) == 1
    assert not browser.apply_filter("rule:bogus")
    assert "rule:bogus" in browser.status and browser.filter.expr == "tool:get_weather"
    with pytest.raises(FilterError):
        DialogueFilter.parse("tool:nope").checked(dialogues)
    rejected = [d for d in dialogues if not d.accepted]
    failed = rejected[0].verdict.failures[0].rule
    assert DialogueFilter.parse(f"rule:{failed}").checked(dialogues).matches(rejected[0])
