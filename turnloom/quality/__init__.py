"""Data-quality measures and the run report (terminal tables and self-contained HTML)."""

from turnloom.quality._html import report_html
from turnloom.quality._metrics import coherence_pairs, distinct_n, lexical_coherence, word_entropy
from turnloom.quality._report import build_report

__all__ = ["build_report", "coherence_pairs", "distinct_n", "lexical_coherence", "report_html", "word_entropy"]
