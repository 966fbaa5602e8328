"""Fixtures for the agent tests: a scripted OpenAI-compatible server and model configs for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from agent_helpers import FORECAST, WEATHER, fast_config
from scripted_server import ScriptedOpenAIServer

from turnloom.agents.llm._models import ModelConfig
from turnloom.schema import ToolSpec


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


@pytest.fixture
def make_config(server: ScriptedOpenAIServer) -> Callable[..., ModelConfig]:
    return lambda **kw: fast_config(server.url, **kw)


@pytest.fixture
def weather_tools() -> list[ToolSpec]:
    return [WEATHER, FORECAST]
