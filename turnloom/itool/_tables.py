"""Rich renderables for the iTool commands' summaries (print them on any ``Console``)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table

__all__ = ["comparison_table", "curriculum_table", "eval_tables", "mcts_table"]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _accuracy_table(title: str, label: str, groups: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    table.add_column("steps", justify="right")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    for name, slot in groups.items():
        table.add_row(name or "-", str(slot["steps"]), str(slot["correct"]), _pct(slot["accuracy"]))
    return table


def eval_tables(summary: dict[str, Any]) -> Group:
    levels = {k: summary["by_difficulty"][k] for k in ("easy", "medium", "hard") if k in summary["by_difficulty"]}
    levels.update({k: v for k, v in summary["by_difficulty"].items() if k not in levels})
    overview = Table(title=f"evaluation of {summary['model']}", title_justify="left")
    overview.add_column("measure")
    overview.add_column("value", justify="right")
    rows = [
        ("step accuracy", f"{_pct(summary['accuracy'])} ({summary['correct']}/{summary['steps']})"),
        ("tool-call steps (AST)", _pct(summary["call_steps"]["accuracy"])),
        ("relevance (any call where one belongs)", _pct(summary["call_steps"]["relevance"])),
        ("no-call steps (irrelevance)", _pct(summary["no_call_steps"]["accuracy"])),
        ("dialogues with every step right", _pct(summary["dialogue_accuracy"])),
        (f"final state match ({summary['state_compared']} compared)", _pct(summary["state_match_rate"])),
        ("policy errors", str(summary["policy_errors"])),
    ]
    if summary.get("mean_nll") is not None:
        rows.append(("mean NLL of gold steps", f"{summary['mean_nll']:.4f}"))
    for k, v in rows:
        overview.add_row(k, v)
    return Group(overview, _accuracy_table("by step kind", "kind", summary["by_kind"]),
                 _accuracy_table("by difficulty", "level", levels))


def curriculum_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"curriculum of {report['dialogues']} dialogues", title_justify="left")
    table.add_column("level")
    table.add_column("dialogues", justify="right")
    table.add_column("score up to", justify="right")
    for level in ("easy", "medium", "hard"):
        top = report["thresholds"].get(level)
        table.add_row(level, str(report["levels"][level]), "-" if top is None else f"{top:.2f}")
    if report.get("nll_model"):
        rho = report.get("spearman_structural_nll")
        table.caption = f"Spearman(structural, NLL under {report['nll_model']}) = " + (
            "undefined" if rho is None else f"{rho:.3f}")
    return table


def mcts_table(stats: dict[str, Any]) -> Table:
    table = Table(title="MCTS preference pairs", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in ("dialogues", "not_replayable", "trees", "nodes", "sibling_sets", "kept"):
        table.add_row(key.replace("_", " "), str(stats[key]))
    for why, count in stats["dropped"].items():
        table.add_row(f"dropped: {why.replace('_', ' ')}", str(count))
    return table


def comparison_table(before: dict[str, Any], after: dict[str, Any]) -> Table:
    table = Table(title="before → after", title_justify="left")
    table.add_column("measure")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("change", justify="right")

    def row(name: str, a: float | None, b: float | None) -> None:
        delta = "-" if a is None or b is None else f"{(b - a) * 100:+.1f} pt"
        table.add_row(name, _pct(a), _pct(b), delta)

    row("step accuracy", before["accuracy"], after["accuracy"])
    row("tool-call steps", before["call_steps"]["accuracy"], after["call_steps"]["accuracy"])
    row("no-call steps", before["no_call_steps"]["accuracy"], after["no_call_steps"]["accuracy"])
    row("dialogue accuracy", before["dialogue_accuracy"], after["dialogue_accuracy"])
    row("state match", before["state_match_rate"], after["state_match_rate"])
    return table
