"""Fixtures of the iTool tests: simulated travel dialogues (four tools, offline agents)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from turnloom.schema import Dialogue

TRAVEL_TOOLS = ("search_flights", "book_flight", "get_booking", "search_hotels")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "train: trains a tiny model on the CPU (needs the [train] extra)")


def simulate(n: int, seed: int) -> list[Dialogue]:
    from turnloom.scenarios import load_scenario, scenario_tools
    from turnloom.simulate import Simulator

    sc = load_scenario("travel")
    sim = Simulator(sc, tools=[t for t in scenario_tools(sc) if t.name in TRAVEL_TOOLS])

    async def go() -> list[Dialogue]:
        return [await sim.simulate(i, seed) for i in range(n)]

    return [d for d in asyncio.run(go()) if d.accepted]


@pytest.fixture(scope="session")
def travel() -> list[Dialogue]:
    dialogues = simulate(6, 11)
    assert len(dialogues) >= 5
    return dialogues


@pytest.fixture(scope="session")
def travel_file(travel: list[Dialogue], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "accepted.jsonl"
    path.write_text("".join(d.model_dump_json() + "\n" for d in travel), encoding="utf-8")
    return path
