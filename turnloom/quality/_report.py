"""The data-quality report of a run: counts, rejection reasons, distributions, step-kind
mix, tool coverage, diversity, coherence and graph relevance."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from turnloom.dataset import read_dialogues
from turnloom.quality._metrics import (
    coherence_pairs,
    distinct_n,
    embedding_coherence,
    lexical_coherence,
    sample_texts,
    word_entropy,
)
from turnloom.quality._replies import quoting_share
from turnloom.schema import Dialogue

__all__ = ["build_report"]


def _dist(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    return {"count": len(values), "min": min(values), "max": max(values), "mean": round(statistics.fmean(values), 3),
            "median": statistics.median(values), "histogram": dict(sorted(Counter(values).items()))}


def _relevance(dialogues: list[Dialogue]) -> dict[str, Any]:
    """Mean graph relevance of each dialogue's offered tools and of the tools it used."""
    from turnloom.graphs.sampling import relevance
    from turnloom.graphs.tool_graph import build_tool_graph

    tools = {t.name: t for d in dialogues for t in d.tools}
    if len(tools) < 2:
        return {}
    graph = build_tool_graph([tools[k] for k in sorted(tools)])
    offered = [relevance(graph, [t.name for t in d.tools]) for d in dialogues if len(d.tools) >= 2]
    used = [relevance(graph, d.stats.get("tools_used", [])) for d in dialogues
            if len(d.stats.get("tools_used", [])) >= 2]
    return {"offered_sets": round(statistics.fmean(offered), 4) if offered else None,
            "used_sets": round(statistics.fmean(used), 4) if used else None,
            "graph": {"nodes": len(tools), "edges": graph.similarity.number_of_edges(),
                      "flow_edges": graph.flow.number_of_edges()}}


def build_report(run_dir: Path, *, embeddings: bool = False, sample: int = 300) -> dict[str, Any]:
    """Everything the report shows, as JSON-ready data. Distinct-n is measured over a seeded sample of
    ``sample`` turns per role (all turns when there are fewer; 0 = all), so runs of different sizes compare."""
    acc_path, rej_path = run_dir / "accepted.jsonl", run_dir / "rejected.jsonl"
    accepted = list(read_dialogues(acc_path)) if acc_path.exists() else []
    rejected = list(read_dialogues(rej_path)) if rej_path.exists() else []
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    total = len(accepted) + len(rejected)
    reasons: Counter[str] = Counter()
    for d in rejected:
        reasons.update({c.rule for c in d.verdict.failures} or {"unknown"})
    kinds: Counter[str] = Counter(s.kind for d in accepted for s in d.plan.steps)
    tool_use: Counter[str] = Counter(c.name for d in accepted for c in d.calls)
    offered = sorted({t.name for d in accepted + rejected for t in d.tools})
    combos: Counter[str] = Counter(" + ".join(sorted({c.name for c in d.calls})) for d in accepted if d.calls)
    user_turns = [m.content or "" for d in accepted for m in d.messages if m.role == "user"]
    replies = [m.content for d in accepted for m in d.messages if m.role == "assistant" and m.content]
    reporting, quoting = quoting_share(accepted)
    user_sample, reply_sample = sample_texts(user_turns, sample), sample_texts(replies, sample)
    used_sets = [sorted({c.name for c in d.calls}) for d in accepted]
    pairs_used = {(a, b) for names in used_sets for i, a in enumerate(names) for b in names[i + 1:]}
    pairs = [p for d in accepted for p in coherence_pairs(d)]
    report: dict[str, Any] = {
        "run": {"dir": str(run_dir), "scenario": manifest.get("scenario"), "seed": manifest.get("seed"),
                "seconds": manifest.get("timings", {}).get("seconds")},
        "counts": {"total": total, "accepted": len(accepted), "rejected": len(rejected),
                   "acceptance_rate": round(len(accepted) / total, 4) if total else 0.0},
        "rejection_reasons": dict(reasons.most_common()),
        "lengths": {
            "messages": _dist([len(d.messages) for d in accepted]),
            "user_turns": _dist([d.stats.get("user_turns", 0) for d in accepted]),
            "calls": _dist([len(d.calls) for d in accepted]),
        },
        "step_kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
        "tools": {
            "offered": len(offered),
            "used": len(tool_use),
            "coverage": round(len(tool_use) / len(offered), 4) if offered else 0.0,
            "never_used": [t for t in offered if t not in tool_use],
            "calls_per_tool": dict(tool_use.most_common()),
            "distinct_combinations": len(combos),
            "pairs_used_together": len(pairs_used),
            "pair_coverage": round(len(pairs_used) / (len(offered) * (len(offered) - 1) / 2), 4)
            if len(offered) > 1 else 0.0,
            "top_combinations": dict(combos.most_common(10)),
            # a call fed by an earlier result: the share of accepted dialogues with such a step
            "dependent_share": round(sum(any(s.bindings for s in d.plan.steps) for d in accepted) / len(accepted), 4)
            if accepted else 0.0,
        },
        "diversity": {
            "user_turns": len(user_turns),
            "user_turns_sampled": len(user_sample),
            "distinct_1": round(distinct_n(user_sample, 1), 4),
            "distinct_2": round(distinct_n(user_sample, 2), 4),
            "distinct_3": round(distinct_n(user_sample, 3), 4),
            "word_entropy_bits": round(word_entropy(user_turns), 4),
            "assistant_replies": len(replies),
            "assistant_replies_sampled": len(reply_sample),
            "assistant_distinct_1": round(distinct_n(reply_sample, 1), 4),
            "assistant_distinct_2": round(distinct_n(reply_sample, 2), 4),
            "assistant_distinct_3": round(distinct_n(reply_sample, 3), 4),
            "replies_reporting_results": reporting,
            "share_quoting_result_values": quoting,
        },
        "coherence": {"pairs": len(pairs), "lexical": round(lexical_coherence(pairs), 4)},
        "relevance": _relevance(accepted) if accepted else {},
    }
    if embeddings:
        value = embedding_coherence(pairs)
        report["coherence"]["embedding"] = round(value, 4) if value is not None else "not installed"
    return report
