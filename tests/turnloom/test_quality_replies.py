"""The report's reply measures: assistant diversity and the share of replies that quote
result values."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from turnloom.cli import app
from turnloom.quality._replies import quoting_share, reports
from turnloom.schema import Dialogue, Message, Plan, ToolCall, ToolResult, Verdict

runner = CliRunner()


def _dialogue(reply: str) -> Dialogue:
    call = ToolCall(id="c1", name="get_booking", arguments={"booking_id": "BK-1"})
    msgs = [Message(role="user", content="get the booking BK-1"),
            Message(role="assistant", content="", tool_calls=[call]),
            Message(role="tool", tool_call_id="c1", name=call.name,
                    result=ToolResult(call_id="c1", name=call.name,
                                      content={"booking_id": "BK-1", "status": "confirmed", "price": 129.5})),
            Message(role="assistant", content=reply),
            Message(role="user", content="thanks"),
            Message(role="assistant", content="You're welcome!")]
    return Dialogue(id="d", scenario="s", index=0, seed=1, tools=[], plan=Plan(), verdict=Verdict(accepted=True),
                    messages=msgs)


def test_quoting_share_counts_replies_that_carry_a_result_value() -> None:
    quoting, vague = _dialogue("Your booking is confirmed at 129.5."), _dialogue("All done, anything else?")
    # the closing reply reports nothing
    assert [r for r, _ in reports(quoting)] == ["Your booking is confirmed at 129.5."]
    assert quoting_share([quoting]) == (1, 1.0)
    assert quoting_share([quoting, vague]) == (2, 0.5)
    assert quoting_share([]) == (0, 0.0)


def test_report_shows_assistant_diversity_quoting_and_pairs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", "travel", "-n", "8", "--seed", "3", "-o", str(out), "--quiet"]).exit_code == 0
    result = runner.invoke(app, ["report", str(out), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    rep = json.loads((tmp_path / "r.json").read_text())
    div = rep["diversity"]
    assert div["assistant_replies"] > 0 and 0 < div["assistant_distinct_3"] <= 1
    assert div["replies_reporting_results"] > 0 and div["share_quoting_result_values"] == 1.0
    assert rep["tools"]["pairs_used_together"] >= 1 and 0 < rep["tools"]["pair_coverage"] <= 1
    assert "share_quoting_result_values" in result.output
