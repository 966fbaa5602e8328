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

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["BFCL_CATEGORIES", "BFCL_EVAL", "bfcl_python", "check", "decode", "load_cases"]

BFCL_EVAL = "bfcl-eval==2026.3.23"
_IMPORT_DEPS = """anthropic>=0.75.0 openai>=1.86.0 cohere==5.18.0 mistralai==1.7.0 google-genai>=1.52.0 boto3
    qwen-agent writer-sdk>=2.1.0 datamodel-code-generator==0.25.7 overrides tenacity>=8.5.0 filelock==3.20.0 requests
    tree_sitter==0.21.3 tree-sitter-java==0.21.0 tree-sitter-javascript==0.21.4 soundfile"""
BFCL_IMPORT_DEPS = tuple(_IMPORT_DEPS.split())
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


def _pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args],
                          capture_output=True, text=True, check=False)


def bfcl_python(root: Path | None = None) -> Path:
    """The Python of a venv with bfcl-eval and what its checker imports; built once (minutes), reused."""
    root = root or Path(os.environ.get("TURNLOOM_BFCL_VENV", Path.home() / ".cache" / "turnloom-tests" / "bfcl-venv"))
    ready = root / ".turnloom-ready"
    stamp = "\n".join((BFCL_EVAL, *sorted(BFCL_IMPORT_DEPS)))
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ready.is_file() and ready.read_text() == stamp):
            if not (root / "bin" / "python").exists():
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            for args in (("--no-deps", BFCL_EVAL), BFCL_IMPORT_DEPS):
                proc = _pip(root, *args)
                if proc.returncode != 0:
                    tail = (proc.stdout + proc.stderr)[-600:]
                    raise RuntimeError(f"installing {BFCL_EVAL} into {root} failed: {tail}")
            ready.write_text(stamp)
    return root / "bin" / "python"


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
