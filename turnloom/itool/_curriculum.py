"""Easy-to-hard curriculum (iTool's warm-up SFT order).

Every dialogue gets the structural score of :mod:`turnloom.itool._difficulty` and,
when a scorer is given, ToolACE's mean per-token NLL of its assistant turns. The
dialogues are ranked by the structural score (ties by id) and cut into terciles;
``--model`` adds the NLL column and the Spearman correlation of the two rankings
to the report (the split itself stays structural, so it does not depend on which
model happened to be at hand).

Written to the output folder: ``easy.jsonl``, ``medium.jsonl``, ``hard.jsonl`` (the
dialogues, each file ordered by score), ``curriculum.jsonl`` (all dialogues easy →
hard), ``sft.jsonl`` (the same order as TRL conversational SFT rows
``{"messages", "tools"}``, for ``scripts/train_sft.py``) and ``report.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from turnloom.itool._difficulty import FEATURE_WEIGHTS, LEVELS, features, spearman, structural_score, terciles
from turnloom.itool._nll import NLLScorer, dialogue_nll
from turnloom.schema import Dialogue

__all__ = ["CurriculumEntry", "CurriculumResult", "build_curriculum", "difficulty_levels", "write_curriculum"]


@dataclass(frozen=True)
class CurriculumEntry:
    id: str
    structural: float
    features: dict[str, int]
    level: str
    rank: int
    nll: float | None = None


@dataclass
class CurriculumResult:
    entries: list[CurriculumEntry]
    dialogues: dict[str, Dialogue]
    model: str | None = None
    spearman: float | None = None
    thresholds: dict[str, float] = field(default_factory=dict)

    def ordered(self) -> list[Dialogue]:
        return [self.dialogues[e.id] for e in self.entries]

    def level(self, name: str) -> list[Dialogue]:
        return [self.dialogues[e.id] for e in self.entries if e.level == name]

    def report(self) -> dict[str, Any]:
        counts = {lv: sum(1 for e in self.entries if e.level == lv) for lv in LEVELS}
        return {
            "dialogues": len(self.entries),
            "levels": counts,
            "weights": dict(FEATURE_WEIGHTS),
            "thresholds": self.thresholds,
            "nll_model": self.model,
            "spearman_structural_nll": self.spearman,
            "order": [
                {"id": e.id, "rank": e.rank, "level": e.level, "structural": e.structural, "nll": e.nll,
                 "features": e.features}
                for e in self.entries
            ],
        }


def difficulty_levels(dialogues: Sequence[Dialogue]) -> dict[str, str]:
    """dialogue id -> easy/medium/hard by structural score terciles."""
    return terciles([(d.id, structural_score(features(d))) for d in dialogues])


def build_curriculum(dialogues: Sequence[Dialogue], scorer: NLLScorer | None = None) -> CurriculumResult:
    by_id: dict[str, Dialogue] = {}
    for d in dialogues:
        if d.id in by_id:
            raise ValueError(f"dialogue id {d.id!r} appears twice")
        by_id[d.id] = d
    feats = {d.id: features(d) for d in dialogues}
    scores = {i: structural_score(f) for i, f in feats.items()}
    levels = terciles(list(scores.items()))
    nll: dict[str, float | None] = {}
    if scorer is not None:
        for d in dialogues:
            nll[d.id] = dialogue_nll(scorer.score(d))
    order = sorted(scores, key=lambda i: (scores[i], i))
    entries = [CurriculumEntry(i, scores[i], feats[i], levels[i], rank, nll.get(i)) for rank, i in enumerate(order)]
    thresholds = {}
    for lv in LEVELS:
        vals = [e.structural for e in entries if e.level == lv]
        if vals:
            thresholds[lv] = max(vals)
    rho = None
    if scorer is not None:
        pairs = [(e.structural, e.nll) for e in entries if e.nll is not None]
        rho = spearman([a for a, _ in pairs], [b for _, b in pairs])
    return CurriculumResult(entries, by_id, scorer.spec if scorer is not None else None, rho, thresholds)


def write_curriculum(result: CurriculumResult, out_dir: Path) -> dict[str, Path]:
    """Write every output file atomically (all staged first, then moved into place)."""
    from turnloom.export._io import atomic_write_files, jsonl_text
    from turnloom.export._trl import to_trl_sft
    from turnloom.itool._io import dialogue_lines, json_text

    files = {f"{lv}.jsonl": dialogue_lines(result.level(lv)) for lv in LEVELS}
    files["curriculum.jsonl"] = dialogue_lines(result.ordered())
    rows = [r for r in (to_trl_sft(d) for d in result.ordered()) if r is not None]
    files["sft.jsonl"] = jsonl_text(rows)
    files["report.json"] = json_text(result.report())
    written = atomic_write_files(out_dir, files)
    return {p.name: p for p in written}
