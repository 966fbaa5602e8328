"""BFCL's multi-turn classes as turnloom Python-class backends, checked against BFCL's own execution.

For every entry of ``BFCL_v4_multi_turn_base`` the ground-truth calls of all turns are executed
twice: directly on the classes the way BFCL does (one instance per class, ``_load_scenario`` with
the entry's ``initial_config``, every call in order), and through turnloom's
:class:`~turnloom.tools_env.env.ToolEnvironment` with each tool bound to its class's method, the
state living in the World. An entry counts as identical when every class's public attributes
(what BFCL's state checker compares) are equal and every call result is the same; then the World
is replayed from its initial state and must reproduce every result and the final ``digest()``.

bfcl-eval pins numpy and networkx, so it is not installed into the project: its class files are
loaded by path from an unpacked ``bfcl-eval`` (``pip download --no-deps bfcl-eval`` and unzip) or
from the separate venv the tests build. Set ``BFCL_EVAL_DIR`` to the directory that holds the
``bfcl_eval`` package, or leave it to look in ``~/.cache/turnloom-tests/bfcl-venv``.

    python benchmarks/bench_bfcl_backend.py [--limit N] [--json OUT]
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from turnloom.schema import ToolCall, canonical_json
from turnloom.tools_env.env import ToolEnvironment
from turnloom.tools_env.python_backend import PythonBackend, class_tools, json_content, method_ref
from turnloom.tools_env.world import World

FUNC_SOURCE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"
#: BFCL's multi-turn classes: class name -> module inside func_source_code
CLASSES = {
    "GorillaFileSystem": "gorilla_file_system",
    "TwitterAPI": "posting_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
    "MessageAPI": "message_api",
    "TicketAPI": "ticket_api",
    "MathAPI": "math_api",
}
STATELESS = {"MathAPI"}


def find_bfcl() -> Path | None:
    """The directory holding the ``bfcl_eval`` package files, or None."""
    candidates = []
    if os.environ.get("BFCL_EVAL_DIR"):
        candidates.append(Path(os.environ["BFCL_EVAL_DIR"]))
    venv = Path(os.environ.get("TURNLOOM_BFCL_VENV", Path.home() / ".cache" / "turnloom-tests" / "bfcl-venv"))
    candidates += sorted(venv.glob("lib/python3*/site-packages"))
    for c in candidates:
        if (c / "bfcl_eval" / "eval_checker" / "multi_turn_eval" / "func_source_code").is_dir():
            return c
    return None


def install_class_files(site: Path) -> None:
    """Make ``bfcl_eval...func_source_code`` importable without the rest of bfcl-eval (whose
    package ``__init__`` files import its pinned dependencies): empty parent packages in a
    temporary directory, the real class files under them."""
    if FUNC_SOURCE in sys.modules:
        return
    shim = Path(tempfile.mkdtemp(prefix="bfcl-classes-"))
    pkg = shim
    for part in FUNC_SOURCE.split(".")[:-1]:
        pkg = pkg / part
        pkg.mkdir()
        (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "func_source_code").symlink_to(site / Path(*FUNC_SOURCE.split(".")), target_is_directory=True)
    sys.path.insert(0, str(shim))
    importlib.invalidate_caches()


def class_ref(name: str) -> str:
    return f"{FUNC_SOURCE}.{CLASSES[name]}:{name}"


def parse_call(text: str, methods: dict[str, type]) -> tuple[str, dict[str, Any]]:
    """``name(1, b='x')`` -> (name, arguments by parameter name); ``methods``: method -> its class."""
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ValueError(f"not a call: {text!r}")
    name = node.func.id
    args = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    if node.args:
        params = [p for p in inspect.signature(getattr(methods[name], name)).parameters if p != "self"]
        args.update({params[i]: ast.literal_eval(a) for i, a in enumerate(node.args)})
    return name, args


def owners(entry: dict[str, Any]) -> dict[str, type]:
    out: dict[str, type] = {}
    for name in entry["involved_classes"]:
        cls = PythonBackend(class_ref(name)).cls
        out.update({m: cls for m in dir(cls) if not m.startswith("_") and callable(getattr(cls, m))})
    return out


def _result(result: Any) -> Any:
    """A direct call's result as turnloom reports it: JSON content, or the text of a
    ``{"error": ...}`` result."""
    if isinstance(result, dict) and set(result) == {"error"}:
        return {"error": str(result["error"])}
    return json_content(result)


def direct(entry: dict[str, Any], calls: list[str]) -> tuple[dict[str, Any], list[Any]]:
    """BFCL's way: instances loaded with the entry's config, every call in order."""
    instances: dict[str, Any] = {}
    owner: dict[str, Any] = {}
    for name in entry["involved_classes"]:
        cls = PythonBackend(class_ref(name)).cls
        inst = cls()
        if name not in STATELESS:
            inst._load_scenario(json.loads(json.dumps(entry["initial_config"].get(name, {}))))
        instances[name] = inst
        for method in dir(inst):
            if not method.startswith("_") and callable(getattr(inst, method)):
                owner[method] = inst
    results = []
    methods = owners(entry)
    for text in calls:
        fn, args = parse_call(text, methods)
        try:
            results.append(_result(getattr(owner[fn], fn)(**args)))
        except Exception as exc:  # noqa: BLE001 - BFCL records the error text
            results.append({"error": f"{type(exc).__name__}: {exc}"})
    return instances, results


def through_turnloom(entry: dict[str, Any], calls: list[str]) -> tuple[ToolEnvironment, World, World, list[Any]]:
    tools, bindings, world = [], {}, World(seed=0)
    for name in entry["involved_classes"]:
        backend = PythonBackend(class_ref(name))
        config = None if name in STATELESS else entry["initial_config"].get(name, {})
        world = backend.initial_world(world, config)
        for tool in class_tools(backend.cls):
            tools.append(tool)
            bindings[tool.name] = method_ref(backend.ref, tool.name)
    # argument checks are the schema's business; BFCL executes whatever the call says
    loose = [t.model_copy(update={"parameters": {"type": "object"}}) for t in tools]
    env = ToolEnvironment(loose, bindings=bindings)
    initial = world
    results = []
    methods = owners(entry)
    for i, text in enumerate(calls):
        fn, args = parse_call(text, methods)
        world, result = env.call(world, ToolCall(id=f"c{i}", name=fn, arguments=args))
        results.append(result)
    return env, initial, world, results


def public(instance: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


def compare(entry: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    calls = [c for turn in answer["ground_truth"] for c in turn]
    expected, expected_results = direct(entry, calls)
    env, initial, final, results = through_turnloom(entry, calls)
    # the final state as a dialogue record holds it: through sorted JSON text and back
    stored = World.model_validate(json.loads(json.dumps(final.model_dump(mode="json"), sort_keys=True)))
    same_state = all(public(PythonBackend(class_ref(name)).instance(stored)) == public(inst)
                     for name, inst in expected.items())
    got_results = [r.content if r.error is None else {"error": r.error} for r in results]
    same_results = canonical_json(got_results) == canonical_json(expected_results)
    methods = owners(entry)
    parsed = [parse_call(c, methods) for c in calls]
    replay_world, replayed = env.replay(initial, [ToolCall(id=f"c{i}", name=fn, arguments=args)
                                                  for i, (fn, args) in enumerate(parsed)])
    replay_exact = replay_world.digest() == final.digest() and all(
        canonical_json(a.model_dump(mode="json")) == canonical_json(b.model_dump(mode="json"))
        for a, b in zip(replayed, results, strict=True))
    # and replaying from the stored initial world gives the same final digest
    stored_initial = World.model_validate(json.loads(json.dumps(initial.model_dump(mode="json"), sort_keys=True)))
    replay_exact = replay_exact and env.replay(stored_initial, [ToolCall(id=f"c{i}", name=fn, arguments=args)
                                                                for i, (fn, args) in enumerate(parsed)])[0].digest() \
        == final.digest()
    return {"id": entry["id"], "classes": list(entry["involved_classes"]), "calls": len(calls),
            "same_state": same_state, "same_results": same_results,
            "replay_exact": replay_exact}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="first N entries only (0: all)")
    ap.add_argument("--json", type=Path, default=None, help="write per-entry results here")
    args = ap.parse_args(argv)
    site = find_bfcl()
    if site is None:
        sys.stderr.write("bench_bfcl_backend: skipped: bfcl-eval files not found (set BFCL_EVAL_DIR to the directory "
                         "holding bfcl_eval/, e.g. an unzipped `pip download --no-deps bfcl-eval`)\n")
        return 0
    install_class_files(site)
    data = site / "bfcl_eval" / "data"
    entries = [json.loads(line) for line in (data / "BFCL_v4_multi_turn_base.json").open(encoding="utf-8")]
    answers = {a["id"]: a for a in (json.loads(line) for line in
                                    (data / "possible_answer" / "BFCL_v4_multi_turn_base.json").open(encoding="utf-8"))}
    if args.limit:
        entries = entries[:args.limit]
    start = time.perf_counter()
    rows = [compare(e, answers[e["id"]]) for e in entries]
    took = time.perf_counter() - start
    n = len(rows)
    same = sum(r["same_state"] and r["same_results"] for r in rows)
    replay = sum(r["replay_exact"] for r in rows)
    calls = sum(r["calls"] for r in rows)
    out = sys.stdout
    out.write(f"multi_turn_base: {n} entries, {calls} calls, {took:.1f}s\n")
    out.write(f"  identical final state and results: {same}/{n} ({100 * same / max(n, 1):.1f}%)\n")
    out.write(f"    final class state equal:  {sum(r['same_state'] for r in rows)}/{n}\n")
    out.write(f"    every call result equal:  {sum(r['same_results'] for r in rows)}/{n}\n")
    out.write(f"  state replay exact:          {replay}/{n}\n")
    for r in rows:
        if not (r["same_state"] and r["same_results"] and r["replay_exact"]):
            out.write(f"  differs: {r}\n")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
