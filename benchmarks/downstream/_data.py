"""Training and evaluation data through the turnloom CLI, and the hold-out check.

* ``turnloom run`` simulates dialogues of the scenarios in ``scenarios/`` (built-in pool);
* ``turnloom export --format trl-sft`` writes the training rows (``--all`` for the
  unverified variant, whose input holds the accepted and the rejected dialogues of the
  default run, in dialogue order);
* every training row's system message is prefixed with the assistant system prompt that
  the evaluation sends (``turnloom.agents.llm`` composes ``ASSISTANT_SYSTEM`` + the
  dialogue's own), so the model is trained on the prompt it is tested with;
* :func:`check_holdout` fails loudly when a tool of the evaluation appears in any
  training set, or a training tool belongs to a held-out domain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

__all__ = ["HoldoutError", "check_holdout", "export_sft", "merge_runs", "pool_domains", "run_cli",
           "select_with_calls", "simulate", "tool_names"]

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"


class HoldoutError(RuntimeError):
    """A tool used for evaluation leaks into training data."""


def turnloom_bin() -> str:
    exe = Path(sys.executable).with_name("turnloom")
    return str(exe) if exe.exists() else "turnloom"


def run_cli(*args: str, log: Any = None) -> None:
    """Run ``turnloom ARGS``; its output goes to the console; a failure raises with its last lines."""
    cmd = [turnloom_bin(), *args]
    # a wide console: the CLI's summary lines (the rejection reasons) are not wrapped into the log
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"})
    out = (proc.stdout + proc.stderr).strip()
    if log is not None and out and proc.returncode == 0:
        for line in out.splitlines():
            if "accepted" in line or "rejection" in line or "→" in line:
                log(line.strip())
    if proc.returncode != 0:
        raise RuntimeError(f"`turnloom {' '.join(args)}` failed (exit {proc.returncode}): {out[-1500:]}")


def simulate(scenario: str, n: int, seed: int, out: Path, *, concurrency: int | None = None, log: Any = None) -> Path:
    """``turnloom run SCENARIO -n N --seed SEED -o OUT`` (replacing OUT); returns OUT."""
    args = ["run", scenario, "-n", str(n), "--seed", str(seed), "-o", str(out), "--overwrite", "--no-cache", "-q"]
    if concurrency is not None:
        args += ["--concurrency", str(concurrency)]
    run_cli(*args, log=log)
    return out


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)


def merge_runs(run_dir: Path, out: Path) -> int:
    """accepted + rejected dialogues of a run, in dialogue order, as one file; returns the count."""
    rows = _read(run_dir / "accepted.jsonl") + _read(run_dir / "rejected.jsonl")
    rows.sort(key=lambda r: (int(r.get("index") or 0), str(r["id"])))
    _write(out, rows)
    return len(rows)


def select_with_calls(dialogues: Path, out: Path, n: int) -> int:
    """The first ``n`` dialogues of the file with at least one tool call, written to ``out``; returns the count.
    (The offline planner may plan only no-call turns for some tool subsets; such a dialogue tests nothing
    but irrelevance.)"""
    rows = [r for r in _read(dialogues) if any(m.get("tool_calls") for m in r["messages"])][:n]
    _write(out, rows)
    return len(rows)


def export_sft(dialogues: Path, out: Path, *, only_accepted: bool = True) -> int:
    """``turnloom export --format trl-sft``, then the evaluation's system prompt prefixed; returns the rows."""
    from turnloom.agents.llm._prompts import ASSISTANT_SYSTEM

    raw = out.with_name(out.stem + ".export.jsonl")
    run_cli("export", str(dialogues), "--format", "trl-sft", "-o", str(raw),
            "--only-accepted" if only_accepted else "--all")
    rows = _read(raw)
    for row in rows:
        msgs = row["messages"]
        own = [m["content"] for m in msgs if m["role"] == "system" and m.get("content")]
        rest = [m for m in msgs if m["role"] != "system"]
        row["messages"] = [{"role": "system", "content": "\n\n".join([ASSISTANT_SYSTEM, *own])}, *rest]
    _write(out, rows)
    return len(rows)


def pool_domains() -> dict[str, str]:
    """Tool name -> domain of the built-in pool."""
    text = (files("turnloom.tools_env") / "data" / "pool.jsonl").read_text(encoding="utf-8")
    return {t["name"]: t.get("domain", "") for t in map(json.loads, text.splitlines()) if t}


def tool_names(paths: Iterable[Path]) -> set[str]:
    """Names of every tool offered in the dialogue files (or trl-sft files) at ``paths``."""
    names: set[str] = set()
    for path in paths:
        for row in _read(path):
            for tool in row.get("tools") or []:
                names.add(tool["function"]["name"] if "function" in tool else tool["name"])
    return names


def check_holdout(train_files: list[Path], eval_files: list[Path], heldout: list[str]) -> dict[str, Any]:
    """Raise :class:`HoldoutError` unless the evaluation tools are disjoint from the training tools
    and the held-out domains hold every evaluation tool and no training tool."""
    domains = pool_domains()
    train, held = tool_names(train_files), tool_names(eval_files)
    if not train or not held:
        raise HoldoutError(f"hold-out check: no tools found (train files {train_files}, eval files {eval_files})")
    leaked = sorted(train & held)
    if leaked:
        raise HoldoutError(f"hold-out violated: evaluation tools appear in training data: {leaked[:10]}")
    in_heldout = sorted(t for t in train if domains.get(t) in heldout)
    if in_heldout:
        raise HoldoutError(f"hold-out violated: training tools from held-out domains {heldout}: {in_heldout[:10]}")
    outside = sorted(t for t in held if domains.get(t) not in heldout)
    if outside:
        raise HoldoutError(f"hold-out violated: evaluation tools outside the held-out domains: {outside[:10]}")
    return {"train_tools": len(train), "eval_tools": len(held), "heldout_domains": list(heldout),
            "train_domains": sorted({domains.get(t, "?") for t in train})}
