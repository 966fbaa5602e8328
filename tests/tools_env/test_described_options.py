"""A free-text field whose description lists the values it takes ("Can be 'delete' or 'add'.") gets one
of them; quoted examples and formats ("such as 'Berkeley, CA'", "in the format of 'City, State'") are
not read as the values allowed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from turnloom.tools_env.values import generate_value
from turnloom.tools_env.values._semantic import described_options

# descriptions as they appear in bfcl-eval's function docs
LISTS = [
    ("The units of measurement for the weather forecast, either 'metric' or 'imperial'.", ("metric", "imperial")),
    ("The resolution of the elevation data, 'High', 'Medium', or 'Low'. Default is 'Medium'.",
     ("High", "Medium", "Low")),
    ("Optional. The desired units for the resulting distance ('miles' or 'kilometers'). Defaults to 'miles'.",
     ("miles", "kilometers")),
    ("The name of the field to filter the exports by. Possible values are 'Bot', 'BotLocale', or "
     "'CustomVocabulary'.", ("Bot", "BotLocale", "CustomVocabulary")),
    ("The method of cell division, i.e., 'mitosis' or 'meiosis'.", ("mitosis", "meiosis")),
    ("The position: either 'president' or 'vice president'.", ("president", "vice president")),
    ('Sort order, "asc" or "desc".', ("asc", "desc")),
]
NOT_LISTS = [
    "The city in which to search for events, in the format of 'City, State', such as 'Berkeley, CA' and "
    "'New York, NY'.",
    "The city and state, in the format of 'City, State' or 'City, Country'.",
    "Cuisine, e.g. 'thai' or 'pizza'.",
    "Ticker symbol, e.g. 'AAPL'.",
    "Specific color to check for stock updates. Example values could be 'Red', 'Blue', or 'Green'.",
    "The countdown duration, expressed in a format such as '1 hour 30 minutes', '45 minutes', or '2 hours'. "
    "The format should include a numeric time quantity followed by a space and a time unit ('hours' or 'minutes').",
    "The content of the to-do item. For 'add' and 'update', it represents the new text of the item.",
    "The time display format: '12h' or '24h'.",
    "Type of the order (Buy/Sell).",
    "",
]


@pytest.mark.parametrize(("description", "options"), LISTS)
def test_listed_values_are_read(description: str, options: tuple[str, ...]) -> None:
    assert described_options(description) == options


@pytest.mark.parametrize("description", NOT_LISTS)
def test_examples_and_formats_are_not_values_allowed(description: str) -> None:
    assert described_options(description) == ()


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12)


@settings(max_examples=60, deadline=None)
@given(options=st.lists(_WORD, min_size=2, max_size=4, unique=True), seed=st.integers(0, 2**32 - 1),
       lead=st.sampled_from(["Can be", "Either", "Choices are", "One of", "The mode to use,"]))
def test_a_plain_string_field_takes_one_of_its_listed_values(options: list[str], seed: int, lead: str) -> None:
    listed = ", ".join(f"'{o}'" for o in options[:-1]) + f" or '{options[-1]}'"
    schema = {"type": "string", "description": f"{lead} {listed}."}
    assert generate_value(schema, name="mode", seed=seed) in options


def test_constraints_of_the_schema_come_first() -> None:
    described = "Either 'metric' or 'imperial'."
    assert generate_value({"type": "string", "enum": ["si", "us"], "description": described}, name="units") in (
        "si", "us")
    value = generate_value({"type": "string", "pattern": "^[0-9]{3}$", "description": described}, name="units")
    assert value.isdigit() and len(value) == 3
    assert isinstance(generate_value({"type": "integer", "description": "Either '1' or '2'."}, name="n"), int)
