"""Scenario model, loader and built-in scenarios."""

from turnloom.scenarios._loader import (
    ScenarioError,
    builtin_names,
    load_scenario,
    read_scenario_data,
    scenario_bindings,
    scenario_tools,
)
from turnloom.scenarios._model import (
    DEFAULT_MIX,
    PlanSettings,
    SamplingSettings,
    Scenario,
    ToolSource,
    UserSettings,
    VerifySettings,
    WorldSettings,
)

__all__ = [
    "DEFAULT_MIX",
    "PlanSettings",
    "SamplingSettings",
    "Scenario",
    "ScenarioError",
    "ToolSource",
    "UserSettings",
    "VerifySettings",
    "WorldSettings",
    "builtin_names",
    "load_scenario",
    "read_scenario_data",
    "scenario_bindings",
    "scenario_tools",
]
