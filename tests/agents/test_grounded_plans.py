"""Requests about things that exist: over a class backend, offline dialogues name real files and
meet tool errors only where the plan asks for an error-recovery step."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from turnloom.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backends"
#: the transient failures an error-recovery step injects (tools_env.env._FAILURES)
INJECTED = ("504 Gateway Timeout", "429 Too Many Requests", "500 Internal Server Error")
GORILLA = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code.gorilla_file_system:GorillaFileSystem"
HAVE_BFCL = importlib.util.find_spec("bfcl_eval") is not None

TINY_STATE = {"contents": {
    "notes.txt": {"type": "file", "content": "buy milk"},
    "todo.md": {"type": "file", "content": "call bob"},
    "projects": {"type": "directory", "contents": {"plan.md": {"type": "file", "content": "ship it"}}},
}}
#: BFCL_v4_multi_turn_base entry 0, GorillaFileSystem part of its initial_config
GORILLA_STATE = {"root": {"workspace": {"type": "directory", "contents": {
    "document": {"type": "directory", "contents": {
        "final_report.pdf": {"type": "file", "content": "Year2024 This is the final report content."},
        "previous_report.pdf": {"type": "file", "content": "Year203 This is the previous report content."}}},
    "archive": {"type": "directory", "contents": {}}}}}}


def _scenario(tmp_path: Path, ref: str, state: dict[str, Any]) -> Path:
    path = tmp_path / "files.yaml"
    path.write_text(yaml.safe_dump({
        "name": "grounded_files", "description": "Files in folders.", "system_prompt": "You manage files.",
        "user": {"persona": "a user who writes brief messages", "goals": ["tidy the files"]},
        "plan": {"min_steps": 3, "max_steps": 5, "mix": {"single": 0.4, "parallel": 0.1, "clarification": 0.1,
                                                         "follow_up": 0.1, "chitchat": 0.1, "error_recovery": 0.2}},
        "world": {"backend": {"python": ref, "state": state}},
    }), encoding="utf-8")
    return path


def _names(node: Any, files_only: bool = True) -> set[str]:
    """Names of the files (and, unless ``files_only``, folders) anywhere in a BFCL-style tree of
    ``{"type": ..., "contents": ...}``."""
    out: set[str] = set()
    if isinstance(node, dict):
        for name, item in node.items():
            if isinstance(item, dict) and item.get("type") == "file":
                out.add(name)
            elif isinstance(item, dict):
                if item.get("type") == "directory" and not files_only:
                    out.add(name)
                out |= _names(item.get("contents", item), files_only)
    return out


def _run(tmp_path: Path, scenario: Path) -> list[dict[str, Any]]:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(scenario), "-n", "20", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for name in ("accepted.jsonl", "rejected.jsonl")
            for line in (out / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("ref,state", [
    pytest.param("tiny_fs_backend:TinyFs", TINY_STATE, id="tiny_fs"),
    pytest.param(GORILLA, GORILLA_STATE, id="gorilla",
                 marks=pytest.mark.skipif(not HAVE_BFCL, reason="bfcl-eval is not installed")),
])
def test_offline_dialogues_ask_about_files_that_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ref: str,
                                                       state: dict[str, Any]) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))
    records = _run(tmp_path, _scenario(tmp_path, ref, state))
    assert len(records) == 20
    files, names = _names(state), _names(state, files_only=False)
    tool_msgs = unplanned = reads = 0
    for rec in records:
        created: set[str] = set()
        calls = {c["id"]: c for m in rec["messages"] for c in m.get("tool_calls") or []}
        for m in rec["messages"]:
            if m["role"] != "tool":
                continue
            tool_msgs += 1
            error = (m.get("result") or {}).get("error")
            if error and not error.startswith(INJECTED):
                unplanned += 1
            args = calls[m["tool_call_id"]]["arguments"]
            if m["name"] in ("touch", "echo"):  # these may name a new file
                created.add(str(args.get("file_name")))
                continue
            if m["name"] in ("cp", "mv"):
                created.add(str(args.get("destination")))
            for key, value in args.items():
                if key.startswith("file_name"):  # cat, wc, tail, grep, sort, diff, rm ...
                    reads += 1
                    # rm removes a file or a folder
                    assert value in (names if m["name"] == "rm" else files) | created, (rec["id"], m["name"], args)
    assert tool_msgs >= 40 and reads >= 3
    assert unplanned <= 0.10 * tool_msgs, f"{unplanned} of {tool_msgs} tool results are unplanned errors"


@pytest.mark.skipif(not HAVE_BFCL, reason="bfcl-eval is not installed")
def test_bfcl_travel_books_flights_between_listed_airports_and_uses_its_bookings(tmp_path: Path) -> None:
    """Flights are priced and booked between airport codes a listing showed, on dates of the stated format;
    the booking in the scenario's state is cancelled, insured, invoiced and asked about."""
    out = tmp_path / "travel"
    result = CliRunner().invoke(app, ["run", "bfcl_travel", "-n", "100", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    accepted = [json.loads(line) for line in (out / "accepted.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(accepted) >= 95
    used = {m["name"] for r in accepted for m in r["messages"] if m["role"] == "tool"}
    assert {"book_flight", "get_flight_cost", "cancel_booking", "purchase_insurance", "retrieve_invoice",
            "contact_customer_support"} <= used
    booked = [m["result"]["content"] for r in accepted for m in r["messages"]
              if m["role"] == "tool" and m["name"] == "book_flight" and m["result"]["error"] is None]
    assert any(c.get("booking_status") is True for c in booked if isinstance(c, dict))


@pytest.mark.skipif(not HAVE_BFCL, reason="bfcl-eval is not installed")
@pytest.mark.parametrize("scenario", ["bfcl_files", "bfcl_trading", "bfcl_travel"])
def test_every_tool_of_a_bfcl_built_in_is_used_within_100_dialogues(tmp_path: Path, scenario: str) -> None:
    """Tools that need a folder opened, a message sent or a ticket made first (sort, delete_message,
    edit_ticket) are asked for too, after the calls that make them work."""
    out = tmp_path / scenario
    result = CliRunner().invoke(app, ["run", scenario, "-n", "100", "--seed", "7", "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    accepted = [json.loads(line) for line in (out / "accepted.jsonl").read_text(encoding="utf-8").splitlines()]
    offered = set(accepted[0]["plan"]["tools"])
    used = {c["name"] for r in accepted for m in r["messages"] for c in m.get("tool_calls") or []}
    assert offered - used == set()
