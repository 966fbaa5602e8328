"""Fixtures for the agent tests: a scripted OpenAI-compatible server and model configs for it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # make the reusable helper importable as `scripted_server`

from scripted_server import ScriptedOpenAIServer  # noqa: E402

from turnloom.agents.llm._models import ModelConfig  # noqa: E402
from turnloom.schema import ToolSpec  # noqa: E402

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "city name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
    returns={
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number"},
            "sky": {"type": "string"},
        },
        "required": ["city", "temperature"],
    },
    domain="weather",
)
FORECAST = ToolSpec(
    name="get_forecast",
    description="Forecast for a city over the next days.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city", "days"],
    },
    returns={"type": "array", "items": {"type": "object", "properties": {"day": {"type": "integer"}}}},
    domain="weather",
)


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    srv = ScriptedOpenAIServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def llama_server() -> Iterator[ScriptedOpenAIServer]:
    srv = ScriptedOpenAIServer(llama_cpp=True).start()
    yield srv
    srv.stop()


def fast_config(url: str, **overrides: Any) -> ModelConfig:
    """A config for a local test server: quick retries, short timeouts."""
    settings: dict[str, Any] = {
        "model": "scripted-model",
        "base_url": url,
        "timeout": 2.0,
        "max_retries": 2,
        "retry_base_delay": 0.01,
        "retry_max_delay": 0.05,
        "api_key_env": "TURNLOOM_TEST_NO_SUCH_KEY",
    }
    settings.update(overrides)
    return ModelConfig(**settings)


@pytest.fixture
def make_config(server: ScriptedOpenAIServer) -> Callable[..., ModelConfig]:
    return lambda **kw: fast_config(server.url, **kw)


@pytest.fixture
def weather_tools() -> list[ToolSpec]:
    return [WEATHER, FORECAST]
