"""Reading JSON out of model text."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from turnloom.agents.llm._json import JSONRepairError, parse_arguments, parse_json_object, validate_json_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('Sure! Here it is:\n```json\n{"a": [1, 2,],}\n```\nAnything else?', {"a": [1, 2]}),
        ('{"ok": True, "none": None, "s": "True stays"}', {"ok": True, "none": None, "s": "True stays"}),
        ("{'city': 'Oslo'}", {"city": "Oslo"}),
        ('{"quote": \u201cx\u201d}', {"quote": "x"}),
        ('{"a": {"b": [1, 2', {"a": {"b": [1, 2]}}),  # cut off by max_tokens
        ('{"text": "line one\nline two"}', {"text": "line one\nline two"}),  # raw control character
        ('noise {"a": "}"} trailing {"b": 2}', {"a": "}"}),
    ],
)
def test_parse_json_object_repairs(text: str, expected: dict[str, object]) -> None:
    assert parse_json_object(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"), [("", "empty"), ("no json here", "no JSON object"), ("{a b}", "invalid JSON")]
)
def test_parse_json_object_errors(text: str, fragment: str) -> None:
    with pytest.raises(JSONRepairError, match=fragment):
        parse_json_object(text)


def test_parse_arguments() -> None:
    assert parse_arguments('{"city": "Oslo"}') == {"city": "Oslo"}
    assert parse_arguments("") == {} and parse_arguments(None) == {}
    assert parse_arguments('"{\\"city\\": \\"Oslo\\"}"') == {"city": "Oslo"}  # double-encoded
    assert parse_arguments('{"days": 2,}') == {"days": 2}
    with pytest.raises(JSONRepairError, match="must be a JSON object"):
        parse_arguments("[1, 2]")


class _Turn(BaseModel):
    done: bool
    message: str


def test_validate_json_text_reports_fields() -> None:
    assert validate_json_text('{"done": false, "message": "hi"}', _Turn) == _Turn(done=False, message="hi")
    with pytest.raises(JSONRepairError, match="message: Field required"):
        validate_json_text('{"done": false}', _Turn)
