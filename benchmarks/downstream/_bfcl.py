"""BFCL: questions, answers and the AST checker from ``bfcl-eval`` itself, in its own venv.

``bfcl-eval`` pins old versions of numpy and friends, so it lives in a venv of its own
(the one ``tests/turnloom/conftest.py`` builds, ``~/.cache/turnloom-tests/bfcl-venv``; the
same stamp, so either builds it for both). A driver run with that venv's Python

* ``cases``: reads the category files shipped in the package (``data/BFCL_v4_*.json`` and
  ``data/possible_answer/``), draws a seeded subset, and converts each function list to
  OpenAI tools with BFCL's own ``convert_to_tool`` (``ModelStyle.OPENAI_COMPLETIONS``:
  ``.`` in names becomes ``_``, BFCL types become JSON Schema types);
* ``check``: scores decoded answers ``[{name: {arg: value}}]`` with BFCL's ``ast_checker``
  (irrelevance: correct when ``is_empty_output``, as BFCL's relevance checker decides).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from turnloom.export.bfcl_checker import BFCL_EVAL, bfcl_checker_python

__all__ = ["BFCL_CATEGORIES", "BFCL_EVAL", "bfcl_python", "check", "decode", "load_cases"]

#: benchmark category -> BFCL v4 file stem
BFCL_CATEGORIES = {"simple": "simple_python", "multiple": "multiple", "parallel": "parallel",
                   "parallel_multiple": "parallel_multiple", "irrelevance": "irrelevance",
                   "live_simple": "live_simple"}

_DRIVER = r"""
import json, random, sys
from importlib.resources import files

spec = json.load(sys.stdin)
if sys.argv[1] == "cases":
    from bfcl_eval.constants.enums import ModelStyle
    from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI
    from bfcl_eval.model_handler.utils import convert_to_tool

    data = files("bfcl_eval") / "data"
    out = []
    for category, (stem, n) in spec["categories"].items():
        entries = [json.loads(l) for l in (data / f"BFCL_v4_{stem}.json").read_text().splitlines() if l.strip()]
        answer_file = data / "possible_answer" / f"BFCL_v4_{stem}.json"
        answers = {}
        if answer_file.is_file():
            answers = {a["id"]: a["ground_truth"] for a in map(json.loads, answer_file.read_text().splitlines())}
        rng = random.Random(f"{spec['seed']}:{category}")
        for e in rng.sample(entries, min(n, len(entries))):
            out.append({"id": e["id"], "category": category, "bfcl_category": stem, "question": e["question"][0],
                        "function": e["function"],
                        "tools": convert_to_tool(e["function"], GORILLA_TO_OPENAPI, ModelStyle.OPENAI_COMPLETIONS),
                        "possible_answer": answers.get(e["id"])})
    json.dump(out, sys.stdout)
else:
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    from bfcl_eval.utils import is_empty_output

    results = []
    for case in spec["cases"]:
        decoded = case["decoded"]
        if "irrelevance" in case["bfcl_category"]:
            ok = is_empty_output(decoded)
            results.append({"valid": ok, "error_type": None if ok else "irrelevance_error:decoder_success"})
            continue
        if is_empty_output(decoded):
            results.append({"valid": False, "error_type": "relevance_error:decoder_failed"})
            continue
        try:
            r = ast_checker(case["function"], decoded, case["possible_answer"], Language.PYTHON,
                            case["bfcl_category"], "gorilla-openfunctions-v2")
        except Exception as exc:
            r = {"valid": False, "error_type": f"checker_error:{type(exc).__name__}"}
        results.append({"valid": bool(r["valid"]), "error_type": r.get("error_type")})
    json.dump(results, sys.stdout, default=str)
"""


def bfcl_python(root: Path | None = None) -> Path:
    """The Python of a venv with bfcl-eval's checker (shared with the tests); built once, reused."""
    return bfcl_checker_python(root)


def _driver(python: Path, command: str, spec: dict[str, Any]) -> Any:
    proc = subprocess.run([str(python), "-c", _DRIVER, command], input=json.dumps(spec), capture_output=True,
                          text=True, check=False, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"bfcl-eval {command} failed: {proc.stderr.strip()[-1500:]}")
    return json.loads(proc.stdout)


def load_cases(python: Path, sizes: dict[str, int], seed: int) -> list[dict[str, Any]]:
    """A seeded subset of each category: ``sizes`` maps a name of :data:`BFCL_CATEGORIES` to a count."""
    unknown = sorted(set(sizes) - set(BFCL_CATEGORIES))
    if unknown:
        raise ValueError(f"unknown BFCL categories {unknown}; expected some of {sorted(BFCL_CATEGORIES)}")
    spec = {"seed": seed, "categories": {c: [BFCL_CATEGORIES[c], n] for c, n in sizes.items() if n > 0}}
    cases: list[dict[str, Any]] = _driver(python, "cases", spec)
    return cases


def decode(case: dict[str, Any], message: dict[str, Any]) -> list[dict[str, Any]]:
    """An OpenAI assistant message -> BFCL's decoded form, with BFCL's original (dotted) names."""
    names = {t["function"]["name"]: f["name"] for t, f in zip(case["tools"], case["function"], strict=True)}
    out = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        try:
            args = json.loads(fn.get("arguments") or "{}")
        except json.JSONDecodeError:
            continue
        if isinstance(args, dict):
            out.append({names.get(fn.get("name", ""), fn.get("name", "")): args})
    return out


def check(python: Path, cases: list[dict[str, Any]], decoded: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """BFCL's verdict for each case's decoded answer."""
    payload = [{"function": c["function"], "possible_answer": c["possible_answer"], "bfcl_category": c["bfcl_category"],
                "decoded": d} for c, d in zip(cases, decoded, strict=True)]
    results: list[dict[str, Any]] = _driver(python, "check", {"cases": payload})
    return results
