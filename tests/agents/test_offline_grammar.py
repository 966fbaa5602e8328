"""Every reply and request template, rendered with representative fields and values of each
kind, reads as grammatical English: articles agree, no doubled or dangling prepositions."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from turnloom.agents.offline import _replies
from turnloom.agents.offline._phrasing import a_or_an, fill_form
from turnloom.agents.offline._templates import assistant_data, user_data
from turnloom.agents.offline.user import _CLAUSE_BEFORE, OfflineUser
from turnloom.schema import ToolSpec

_GROUP = re.compile(r"\[([^\[\]]*)\]")

#: (field, value) of each kind a reply reports: text status, category, money, rating, level, dates
FIELDS = (
    ("status", "pending"), ("status", "open"), ("category", "technical"), ("assigned_team", "Field service"),
    ("escalation_level", 1), ("price", 120.5), ("total_amount", 80), ("rating", 4.5), ("rating", 8.2),
    ("temperature", 11), ("created_at", "2024-05-01T10:00:00Z"), ("departure_date", "2024-05-03"),
    ("updated_on", "2024-05-04"), ("priority", "high"), ("order_reference", "ORD-1234"), ("aqi", 18),
)

_VOWEL_WORD = re.compile(r"\ba ([aeio]\w*|u(?!ni|se|su|ti|re|ro)\w*|8[\d.]*|11\b|18\b)", re.I)
_CONSONANT_WORD = re.compile(r"\ban ((?!hour|honest)[b-df-hj-np-tv-z]\w*|(?!11\b|18\b)[0-79][\d.]*)", re.I)
#: a preposition or participle that needs a noun before it, said right after one that wants a noun
_DANGLING = re.compile(r"\b(?:with|shows|has|of|at) (?:marked|currently|now|flagged|set to|costing|priced|rated|"
                       r"dated|due|scheduled|scoring|coming to|at|of|as)\b")
#: "a status of pending", "the category at technical": an article, the field, then of/at and a word
_NOUN_OF_WORD = re.compile(r"\b(?:a|an|the) (?:status|category|priority|assigned team) (?:of|at) [a-z]", re.I)
_BROKEN = (re.compile(r"\bgiven as\b"), re.compile(r"\bwith marked as\b"), re.compile(r"  "),
           re.compile(r" [,.;:)]"), re.compile(r"\b(\w+) \1\b", re.I), re.compile(r"\brecord show\b"),
           re.compile(r"\bLooking (?:that|this)\b"))


def problems(text: str) -> list[str]:
    """The broken patterns in one rendered sentence."""
    found = [f"article before {m.group(1)!r}" for m in _VOWEL_WORD.finditer(text)]
    found += [f"'an' before {m.group(1)!r}" for m in _CONSONANT_WORD.finditer(text)]
    found += [f"dangling {m.group(0)!r}" for m in _DANGLING.finditer(text)]
    found += [f"noun of word {m.group(0)!r}" for m in _NOUN_OF_WORD.finditer(text)]
    found += [f"broken {p.pattern!r}" for p in _BROKEN if p.search(text)]
    return found


def expansions(template: str) -> list[str]:
    """Every way a ``[a|b]`` template can expand (innermost groups first)."""
    match = _GROUP.search(template)
    if match is None:
        return [template]
    out: list[str] = []
    for alt in match.group(1).split("|"):
        out += expansions(template[: match.start()] + alt + template[match.end():])
    return out


def test_the_checker_catches_the_known_broken_replies() -> None:
    for bad in ("a status at pending", "the ticket with marked as open", "created at given as 2023-04-29",
                "a escalation level of 1", "an priority high", "a 8.2 rating", "The ticket record show: x",
                "Looking that for you", "charge, with currently closed", "the category of technical"):
        assert problems(bad), bad
    for good in ("an escalation level of 1", "a rating of 4.5", "an 8.2 rating", "status pending",
                 "Grand Hotel, priced at 120", "a user", "an hour"):
        assert not problems(good), good


def test_articles_agree_with_the_word_after_them() -> None:
    assert [a_or_an(w) for w in ("escalation", "user", "hour", "8.2", "11", "18000", "1", "unit", "uncle")] == [
        "an", "a", "an", "an", "an", "an", "a", "a", "an"]
    assert fill_form("a {p} of {v}", "escalation level", "1") == "an escalation level of 1"
    # the value's own words are never changed
    assert fill_form("{p} {v}", "plan", "a apple") == "plan a apple"


@pytest.mark.parametrize(("field", "value"), FIELDS)
def test_every_fact_form_reads_right_in_every_context(field: str, value: object) -> None:
    number = isinstance(value, (int, float))
    bad = []
    for after_name in (False, True):
        for form in {e for t in _replies._fact_forms(field, number, after_name) for e in expansions(t)}:
            fact = fill_form(form, field.replace("_", " "), str(value))
            contexts = [f"Grand Hotel, {fact}"] if after_name else [
                f"Grand Hotel ({fact})", f"Grand Hotel, with {fact}", f"Grand Hotel - {fact}",
                f"Your ticket now shows {fact}.", f"Your ticket now has {fact}.", f"Currently, {fact}."]
            bad += [(c, p) for c in contexts for p in problems(c)]
    assert not bad, bad[:5]


def test_facts_said_for_every_field_kind_are_grammatical() -> None:
    bad = []
    for seed in range(300):
        rng = random.Random(seed)
        record = {"name": "Printer on floor 3 keeps jamming", **{k: v for k, v in rng.sample(FIELDS, 3)}}
        said = _replies.summarize(None, None, {"tickets": [record, dict(record)]}, rng)
        bad += [(said, p) for p in problems(said)]
        said = _replies.summarize(None, None, {k: v for k, v in FIELDS[seed % 8: seed % 8 + 3]}, rng)
        bad += [(said, p) for p in problems(said)]
    assert not bad, bad[:5]


@pytest.mark.parametrize("key", ["listed", "listed_one", "created", "updated", "status", "read", "other", "failed",
                                 "empty", "lead_in", "id_lead", "closing", "decline"])
def test_every_reply_template_is_grammatical(key: str) -> None:
    values = {"count": "3", "noun": "tickets", "noun_one": "ticket", "items": "Grand Hotel (rating 4.5)",
              "entity": "ticket", "facts": "status open", "Facts": "Status open", "status": "closed",
              "what": "update ticket", "error": "unknown id", "extra": "", "capabilities": "search tickets"}
    bad = []
    for template in assistant_data()[key]:
        for text in expansions(str(template)):
            said = fill_form(text, "ticket id", "TIC-1") if key == "id_lead" else text.format(**values).strip()
            bad += [(said, p) for p in problems(said)]
    assert not bad, bad[:5]


_TOOL = ToolSpec(name="create_ticket", description="Open a support ticket.", parameters={
    "type": "object", "properties": {"email": {"type": "string"}, "party_size": {"type": "integer"}}})
_NOUN_THEN_CLAUSE = re.compile(r"\b(?:with|using|use|w|got|have|Here's) (?:email|party size) is\b", re.I)


def test_requests_never_say_with_param_is_value() -> None:
    bad = []
    for style, frames in user_data()["request"].items():
        for frame, seed in itertools.product(frames, range(6)):
            for text in expansions(frame):
                rng = random.Random(seed)
                args = OfflineUser._args(_TOOL, {"email": "a@b.io", "party_size": 4}, rng,
                                         clause=_CLAUSE_BEFORE.search(text) is not None)
                said = text.format(action="open a ticket", args=args, Args=args[:1].upper() + args[1:])
                if _NOUN_THEN_CLAUSE.search(said):
                    bad.append((style, said))
    assert not bad, bad[:5]
