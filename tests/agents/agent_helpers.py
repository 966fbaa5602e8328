"""Shared helpers of the agent tests: two weather tools and a model config for a local scripted server.

Imported by name (``from agent_helpers import WEATHER``); ``tests/agents`` is on pytest's ``pythonpath``.
"""

from __future__ import annotations

from typing import Any

from turnloom.agents.llm._models import ModelConfig
from turnloom.schema import ToolSpec

__all__ = ["FORECAST", "WEATHER", "fast_config"]

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
