"""The report as one self-contained HTML file: tables plus inline SVG charts drawn by
matplotlib (offline, no scripts, no external assets)."""

from __future__ import annotations

import html
import io
import json
from typing import Any

__all__ = ["report_html"]


def _svg_bar(title: str, data: dict[str, Any], *, horizontal: bool = False) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not data:
        return ""
    labels = [str(k) for k in data]
    values = [float(v) for v in data.values()]
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.28 * len(labels)) if horizontal else 3.0))
    if horizontal:
        ax.barh(labels[::-1], values[::-1], color="#4c72b0")
    else:
        ax.bar(labels, values, color="#4c72b0")
        ax.tick_params(axis="x", labelrotation=45 if len(labels) > 6 else 0)
    ax.set_title(title)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _table(rows: dict[str, Any]) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in rows.items())
    return f"<table>{body}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def report_html(report: dict[str, Any]) -> str:
    counts, tools, div = report["counts"], report["tools"], report["diversity"]
    lengths = report["lengths"]
    sections = [
        ("Run", _table({**report["run"], **counts})),
        ("Rejection reasons", _table(report["rejection_reasons"] or {"none": 0})
         + _svg_bar("Rejections by rule", report["rejection_reasons"], horizontal=True)),
        ("Dialogue length", _table({k: {x: y for x, y in v.items() if x != "histogram"} for k, v in lengths.items()})
         + _svg_bar("Messages per dialogue", lengths["messages"].get("histogram", {}))
         + _svg_bar("Calls per dialogue", lengths["calls"].get("histogram", {}))),
        ("Step kinds", _svg_bar("Plan steps by kind", report["step_kinds"])),
        ("Tools", _table({k: v for k, v in tools.items() if k not in ("calls_per_tool", "top_combinations")})
         + _svg_bar("Calls per tool", tools["calls_per_tool"], horizontal=True)
         + _table(tools["top_combinations"])),
        ("Diversity (user and assistant turns)", _table(div)),
        ("Coherence (consecutive turns)", _table(report["coherence"])),
        ("Graph relevance of tool sets", _table(report["relevance"] or {"n/a": "fewer than two tools"})),
    ]
    style = ("body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.25em .6em;"
             "text-align:left;vertical-align:top}th{background:#f4f4f4}h2{margin-top:1.6em}svg{max-width:100%}")
    title = f"turnloom report — {html.escape(str(report['run'].get('scenario')))}"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{style}</style>"
             f"</head><body><h1>{title}</h1>"]
    for name, content in sections:
        parts.append(f"<h2>{html.escape(name)}</h2>{content}")
    parts.append("</body></html>\n")
    return "".join(parts)
