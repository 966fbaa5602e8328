"""Filtering and one-line summaries of dialogues, for ``turnloom view``.

A filter is space-separated terms that must all match: ``tool:NAME`` (a tool the
assistant called), ``kind:KIND`` (a plan step kind), ``rule:NAME`` (a rule that
failed in the dialogue's verdict) — each NAME may use ``*`` / ``?`` wildcards — or
any other word, found case-insensitively in the messages (content, call arguments,
tool results). Quote a phrase to search for it whole: ``"New York"``.

:meth:`DialogueFilter.checked` rejects a ``tool:`` or ``rule:`` name that no tool of the
dialogues and no verification rule has (a typo would otherwise just match nothing).
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from rich.text import Text

from turnloom.schema import STEP_KINDS, Dialogue, canonical_json

__all__ = ["DialogueFilter", "FilterError", "summary_line", "tools_used"]

_FIELDS = ("tool", "kind", "rule")


class FilterError(ValueError):
    """A filter expression that cannot be understood."""


@dataclass(frozen=True)
class DialogueFilter:
    expr: str = ""
    terms: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, expr: str) -> DialogueFilter:
        try:
            words = shlex.split(expr)
        except ValueError as exc:
            raise FilterError(f"filter {expr!r}: {exc}") from None
        terms: list[tuple[str, str]] = []
        for word in words:
            field, sep, value = word.partition(":")
            if sep and field.lower() in _FIELDS:
                if not value:
                    raise FilterError(f"filter term {word!r}: give a value, e.g. {field}:NAME")
                if field.lower() == "kind" and not any(fnmatchcase(k, value.lower()) for k in STEP_KINDS):
                    close = difflib.get_close_matches(value.lower(), STEP_KINDS, n=1)
                    hint = f"did you mean kind:{close[0]}? " if close else ""
                    kinds = ", ".join(STEP_KINDS)
                    raise FilterError(f"filter term {word!r}: no step kind matches; {hint}kinds: {kinds}")
                terms.append((field.lower(), value.lower()))
            else:
                terms.append(("text", word.lower()))
        return cls(expr.strip(), tuple(terms))

    def checked(self, dialogues: Iterable[Dialogue]) -> DialogueFilter:
        """This filter, after checking that each ``tool:`` / ``rule:`` name could match something:
        a tool the dialogues offer or call, a known verification rule or one their verdicts name."""
        from turnloom.rules import known_rule_names

        tools: set[str] = set()
        rules: set[str] = set(known_rule_names())
        for d in dialogues:
            tools.update(t.name for t in d.tools)
            tools.update(c.name for c in d.calls)
            rules.update(c.rule for c in d.verdict.checks)
        for field, value in self.terms:
            known = tools if field == "tool" else rules if field == "rule" else None
            if known is None or _any(sorted(known), value):
                continue
            close = difflib.get_close_matches(value, sorted(n.lower() for n in known), n=1)
            hint = f"did you mean {field}:{close[0]}? " if close else ""
            what = "tool the dialogues offer" if field == "tool" else "verification rule"
            listing = ", ".join(sorted(known)) or "none"
            raise FilterError(f"filter term {field}:{value}: no {what} has that name; {hint}known: {listing}")
        return self

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, d: Dialogue) -> bool:
        return all(_match(d, field, value) for field, value in self.terms)


def _any(names: list[str], pattern: str) -> bool:
    return any(fnmatchcase(n.lower(), pattern) for n in names)


def _match(d: Dialogue, field: str, value: str) -> bool:
    if field == "tool":
        return _any([c.name for c in d.calls], value)
    if field == "kind":
        return _any([s.kind for s in d.plan.steps], value)
    if field == "rule":
        return _any([c.rule for c in d.verdict.failures], value)
    for m in d.messages:
        texts = [m.content or ""] + [canonical_json(c.arguments) for c in m.tool_calls]
        if any(value in t.lower() for t in texts):
            return True
    return False


def tools_used(d: Dialogue) -> str:
    names = sorted({c.name for c in d.calls})
    return ", ".join(names) if names else "(no tools)"


def summary_line(index: int, d: Dialogue, id_width: int = 0, tools_width: int = 0) -> Text:
    """``index  id  #steps  tools used  ✓`` (or ``✗ first-failed-rule``), columns padded to the widths given."""
    text = Text()
    text.append(f"{index:>5}  ", style="dim")
    text.append(f"{d.id:<{id_width}}  ", style="bold")
    text.append(f"{len(d.plan.steps):>2} steps  ")
    tools = tools_used(d)
    if tools_width and len(tools) > tools_width:
        tools = tools[: tools_width - 1] + "…"
    text.append(f"{tools:<{tools_width}}  ", style="magenta")
    if d.accepted:
        text.append("✓", style="bold green")
    else:
        first = d.verdict.failures[0].rule if d.verdict.failures else "rejected"
        text.append(f"✗ {first}", style="bold red")
    return text
