"""BFCL export: file layout, function dialect, possible answers, and BFCL's own AST checker."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from turnloom.export import BFCL_CATEGORIES, bfcl_function, export_file, to_bfcl
from turnloom.schema import Dialogue, ToolSpec

CHECKER_DRIVER = r"""
import json
import sys

from bfcl_eval.constants.enums import Language
from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

results = []
for case in json.load(sys.stdin):
    result = ast_checker(
        case["function"],
        case["model_output"],
        case["possible_answer"],
        Language.PYTHON,
        case["category"],
        "gorilla-openfunctions-v2",
    )
    results.append({"valid": result["valid"], "error_type": result.get("error_type"), "error": result["error"]})
json.dump(results, sys.stdout, default=str)
"""


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _exported(tmp_path: Path, dialogue_file: Path) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    out = tmp_path / "bfcl"
    export_file(dialogue_file, "bfcl", out)
    return {
        cat: (
            _read_jsonl(out / f"BFCL_v4_turnloom_{cat}.json"),
            _read_jsonl(out / "possible_answer" / f"BFCL_v4_turnloom_{cat}.json"),
        )
        for cat in BFCL_CATEGORIES
    }


def test_layout_categories_and_skips(tmp_path: Path, dialogue_file: Path, dialogues: list[Dialogue]) -> None:
    out = tmp_path / "bfcl"
    summary = export_file(dialogue_file, "bfcl", out)
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*.json"))
    assert names == sorted(
        [f"BFCL_v4_turnloom_{c}.json" for c in BFCL_CATEGORIES]
        + [f"possible_answer/BFCL_v4_turnloom_{c}.json" for c in BFCL_CATEGORIES]
    )
    exported = _exported(tmp_path, dialogue_file)
    assert {c: len(e) for c, (e, _) in exported.items()} == {"simple": 2, "multiple": 2, "parallel": 1}
    assert summary.skipped == {
        "not_accepted": 1,
        "depends_on_tool_output": 1,  # book R-102: the id exists only in the search result
        "failed_call": 1,  # CHF! came back as a tool error
        "after_tool_output": 1,  # the retry read the error
    }
    for entries, answers in exported.values():
        assert [e["id"] for e in entries] == [a["id"] for a in answers]
    simple, simple_answers = exported["simple"]
    assert simple[0]["id"] == "turnloom_simple_0"
    assert [len(e["function"]) for e in simple] == [1, 1]
    # the clarification stays whole: request, question back, answer
    assert [m["role"] for m in simple[0]["question"][0]] == ["user", "assistant", "user"]
    # the follow-up ("99.99 of them") needs the earlier turn that said USD: the question carries it
    follow_up = simple[1]["question"][0]
    assert follow_up[0]["content"] == "Can you convert 250 US dollars for me?"
    assert follow_up[-1]["content"] == "And 99.99 of them in Japanese yen (JPY)?"
    assert all(m["role"] in ("user", "assistant") for m in follow_up)
    parallel, parallel_answers = exported["parallel"]
    assert parallel[0]["question"] == [
        [{"role": "user", "content": "What's the weather in Lyon and in Paris right now, in celsius?"}]
    ]
    assert parallel_answers[0]["ground_truth"] == [
        {"get_weather": {"city": ["Lyon"], "unit": ["celsius"]}},
        {"get_weather": {"city": ["Paris"], "unit": ["celsius"]}},
    ]
    multiple, multiple_answers = exported["multiple"]
    assert [f["name"] for f in multiple[0]["function"]] == ["get_weather", "search_restaurants", "book_table"]
    assert multiple_answers[0]["ground_truth"] == [
        {"search_restaurants": {"city": ["Lyon"], "cuisine": ["French"], "max_results": [3], "open_now": [""]}}
    ]
    assert multiple_answers[1]["ground_truth"][0]["book_table"]["preferences"] == [
        {"seating": ["indoors"], "notes": ["birthday"]}
    ]


def test_all_includes_rejected(tmp_path: Path, dialogue_file: Path) -> None:
    summary = export_file(dialogue_file, "bfcl", tmp_path / "b", only_accepted=False)
    assert "not_accepted" not in summary.skipped
    assert summary.files[tmp_path / "b" / "BFCL_v4_turnloom_multiple.json"] == 3


def test_function_dialect_converts_nested_types() -> None:
    spec = ToolSpec(
        name="plan_route",
        description="Plan a route.",
        parameters={
            "type": "object",
            "properties": {
                "stops": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"lat": {"type": "number"}, "label": {"type": ["string", "null"]}},
                        "required": ["lat"],
                    },
                },
                "avoid": {"type": "array"},
                "options": {"properties": {"tolls": {"type": "boolean"}}},
                "budget": {"type": "number", "default": 10.5},
                "anything": {},
                "mode": {"type": "string", "enum": ["car", "bike"]},
            },
            "required": ["stops", "ghost"],
        },
    )
    fn = bfcl_function(spec)
    assert fn["parameters"]["type"] == "dict"
    assert fn["parameters"]["required"] == ["stops"]  # names without a property are dropped
    props = fn["parameters"]["properties"]
    assert props["stops"] == {
        "type": "array",
        "items": {
            "type": "dict",
            "properties": {"lat": {"type": "float"}, "label": {"type": "string"}},
            "required": ["lat"],
        },
    }
    assert props["avoid"] == {"type": "array", "items": {"type": "any"}}
    assert props["options"] == {"type": "dict", "properties": {"tolls": {"type": "boolean"}}}
    assert props["budget"] == {"type": "float", "default": 10.5}
    assert props["anything"] == {"type": "any"}
    assert props["mode"] == {"type": "string", "enum": ["car", "bike"]}


def test_deterministic(dialogues: list[Dialogue]) -> None:
    first, second = to_bfcl(dialogues), to_bfcl(copy.deepcopy(dialogues))
    assert json.dumps(first.files()) == json.dumps(second.files())
    assert first.sources == second.sources


# ---------------------------------------------------------------- BFCL's own checker


def _run_checker(python: Path, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [str(python), "-c", CHECKER_DRIVER],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def _gold_cases(
    tmp_path: Path, dialogue_file: Path, dialogues: list[Dialogue]
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(case, gold calls) for every exported entry, read back from the files on disk."""
    by_id = {d.id: d for d in dialogues}
    sources = to_bfcl([d for d in dialogues if d.accepted]).sources
    out = []
    for category, (entries, answers) in _exported(tmp_path, dialogue_file).items():
        for entry, answer in zip(entries, answers, strict=True):
            dialogue_id, index = sources[entry["id"]]
            calls = [{c.name: dict(c.arguments)} for c in by_id[dialogue_id].messages[index].tool_calls]
            case = {
                "category": entry["id"].rsplit("_", 1)[0],
                "function": entry["function"],
                "possible_answer": answer["ground_truth"],
                "model_output": calls,
            }
            assert category in case["category"]
            out.append((case, calls))
    return out


@pytest.mark.slow
def test_checker_accepts_gold_and_rejects_corruptions(
    bfcl_python: Path, tmp_path: Path, dialogue_file: Path, dialogues: list[Dialogue]
) -> None:
    gold = _gold_cases(tmp_path, dialogue_file, dialogues)
    assert len(gold) == 5

    def corrupt(case: dict[str, Any], edit: Any) -> dict[str, Any]:
        bad = copy.deepcopy(case)
        edit(bad["model_output"])
        return bad

    def first_call(output: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        name = next(iter(output[0]))
        return name, output[0][name]

    def rename(output: list[dict[str, Any]]) -> None:
        name, args = first_call(output)
        output[0] = {name + "_v2": args}

    def drop_required(output: list[dict[str, Any]]) -> None:
        name, args = first_call(output)
        del args[{"convert_currency": "amount", "search_restaurants": "city", "book_table": "date"}[name]]

    def wrong_type(output: list[dict[str, Any]]) -> None:
        _, args = first_call(output)
        key = next(k for k in ("amount", "max_results", "party_size") if k in args)
        args[key] = str(args[key])

    def wrong_string(output: list[dict[str, Any]]) -> None:
        _, args = first_call(output)
        args["to_currency" if "to_currency" in args else "city" if "city" in args else "date"] = "Atlantis"

    def wrong_number(output: list[dict[str, Any]]) -> None:
        _, args = first_call(output)
        key = next(k for k in ("amount", "max_results", "party_size") if k in args)
        args[key] = args[key] + 7

    def extra_param(output: list[dict[str, Any]]) -> None:
        _, args = first_call(output)
        args["loyalty_card"] = "GOLD-1"

    def wrong_dict_value(output: list[dict[str, Any]]) -> None:
        _, args = first_call(output)
        args["preferences"] = {"seating": "terrace", "notes": "birthday"}

    def drop_parallel_call(output: list[dict[str, Any]]) -> None:
        output.pop()

    single = [(case, calls) for case, calls in gold if "parallel" not in case["category"]]
    booking = next(case for case, _ in single if "book_table" in case["possible_answer"][0])
    parallel = next(case for case, _ in gold if "parallel" in case["category"])
    expected: list[tuple[dict[str, Any], str]] = []
    for case, _ in single:
        expected += [
            (corrupt(case, rename), "simple_function_checker:wrong_func_name"),
            (corrupt(case, drop_required), "simple_function_checker:missing_required"),
            (corrupt(case, wrong_type), "type_error:simple"),
            (corrupt(case, wrong_string), "value_error:string"),
            (corrupt(case, wrong_number), "value_error:others"),
            (corrupt(case, extra_param), "simple_function_checker:unexpected_param"),
        ]
    expected += [
        (corrupt(booking, wrong_dict_value), "value_error:dict_value"),
        (corrupt(parallel, wrong_string), "parallel_function_checker_no_order:cannot_find_match"),
        (corrupt(parallel, extra_param), "parallel_function_checker_no_order:cannot_find_match"),
        (corrupt(parallel, drop_parallel_call), "parallel_function_checker_no_order:wrong_count"),
    ]
    results = _run_checker(bfcl_python, [case for case, _ in gold] + [case for case, _ in expected])
    gold_results, corrupted_results = results[: len(gold)], results[len(gold) :]
    assert all(r["valid"] for r in gold_results), gold_results  # our own gold calls: 100% valid
    assert [(r["valid"], r["error_type"]) for r in corrupted_results] == [(False, kind) for _, kind in expected]


def test_system_prompt_opens_every_question(dialogues: list[Dialogue]) -> None:
    export = to_bfcl(dialogues[:2], system_prompt="You can call functions.")
    questions = [e["question"][0] for entries in export.entries.values() for e in entries]
    assert len(questions) == 5
    assert all(q[0] == {"role": "system", "content": "You can call functions."} for q in questions)
    assert all(q[1]["role"] == "user" for q in questions)
