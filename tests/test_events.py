"""The event types that move what partners outside the model give: other_support,
other_diplomatic and host_ties_support (sim/core/stages/events.py). Their handlers change only
their own cell, keep each world's drawn level, and are refused on the wrong actor; the model
responds in the direction the influence index implies."""

from __future__ import annotations

import numpy as np
import pytest
from commands import BASELINE

from sim.batch import runner
from sim.core.assumptions import draw
from sim.core.params import compile_scenario
from sim.core.stages.events import HANDLERS
from sim.core.state import initial_state
from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario, parse_scenario
from sim.scenario.schema import Event

SCENARIO = load_scenario(BASELINE)


def event(**fields) -> Event:
    fields.setdefault("month", "2025-01")
    fields.setdefault("unit", "test")
    fields.setdefault("source", "assumption: test event")
    return Event(**fields)


def apply(scenario, e: Event, worlds: int = 3):
    p = compile_scenario(scenario)
    st = initial_state(p, worlds)
    before = {k: getattr(st, k).copy() for k in ("other_support", "other_diplomatic")}
    HANDLERS[e.type](p, st, e)
    return p, before, st


def test_other_support_scales_the_target_only():
    p, before, st = apply(SCENARIO, event(type="other_support", target="AFG", value=0.7))
    host = p.index("AFG")
    assert st.other_support[host] == pytest.approx(0.7 * before["other_support"][host])
    others = np.arange(p.n_actors) != host
    assert np.array_equal(st.other_support[others], before["other_support"][others])
    assert np.array_equal(st.other_diplomatic, before["other_diplomatic"])


def test_other_diplomatic_moves_the_target_and_stops_at_zero():
    p, before, st = apply(SCENARIO, event(type="other_diplomatic", target="AFG", value=0.05))
    host = p.index("AFG")
    assert st.other_diplomatic[host] == pytest.approx(before["other_diplomatic"][host] + 0.05)
    HANDLERS["other_diplomatic"](p, st, event(type="other_diplomatic", target="AFG", value=-1))
    assert st.other_diplomatic[host] == 0.0
    assert np.array_equal(st.other_support, before["other_support"])


def test_host_ties_support_scales_one_holder_and_keeps_each_worlds_draw():
    worlds = np.arange(4, dtype=np.uint64)
    p = compile_scenario(SCENARIO, draw(SCENARIO, 1, worlds))
    st = initial_state(p, len(worlds))
    iran = p.holders.codes.index("IRN")
    before = st.holder_support.copy()
    assert before.shape == (len(worlds), len(p.holders.codes))  # drawn: a level per world
    assert len(set(before[:, iran])) == len(worlds)
    HANDLERS["host_ties_support"](p, st, event(type="host_ties_support", actor="IRN", value=0.5))
    assert np.allclose(st.holder_support[:, iran], 0.5 * before[:, iran])
    rest = np.arange(before.shape[-1]) != iran
    assert np.array_equal(st.holder_support[:, rest], before[:, rest])


@pytest.mark.parametrize(
    ("fields", "wanted"),
    [
        ({"type": "host_ties_support", "actor": "AFG", "value": 0.5}, "actor"),
        ({"type": "host_ties_support", "actor": "RUS", "value": 0.5}, "actor"),
        ({"type": "other_support", "target": "AFG", "value": -0.5}, "value"),
        ({"type": "other_diplomatic", "target": "AFG", "value": 1.5}, "value"),
        ({"type": "other_diplomatic", "target": "RUS", "value": 0.1}, "target"),
        ({"type": "other_support", "value": 1.1}, "target"),
    ],
)
def test_wrong_events_are_refused(fields, wanted):
    data = SCENARIO.model_dump(mode="json")
    data["events"].append(event(**fields).model_dump(mode="json"))
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    assert wanted in str(err.value)


def _influence_over_host(scenario, holder: bool = False) -> np.ndarray:
    arrays = runner.run_block(scenario, 7, first=0, count=40, assumptions="fixed")
    name = "host_influence" if holder else "influence"
    return arrays[name][-1]


@pytest.mark.model
def test_outside_standing_and_support_dilute_the_powers_and_a_cut_weakens_a_holder():
    base = SCENARIO
    p = compile_scenario(base)
    plus = base.replace(
        events=[
            *(e.model_dump() for e in base.events),
            event(type="other_diplomatic", target="AFG", value=0.5).model_dump(),
            event(type="other_support", target="AFG", value=2.0).model_dump(),
        ]
    )
    cut = base.replace(
        events=[
            *(e.model_dump() for e in base.events),
            event(type="host_ties_support", actor="IRN", value=0.0).model_dump(),
        ]
    )
    host, russia = p.state_index("AFG"), p.power_index("RUS")
    control = _influence_over_host(base)
    treated = _influence_over_host(plus)
    assert (treated[:, russia, host] < control[:, russia, host]).mean() > 0.9
    holders = _influence_over_host(base, holder=True)
    iran = len(p.power_codes) + p.holders.codes.index("IRN")  # holders follow the powers
    assert (_influence_over_host(cut, holder=True)[:, iran] < holders[:, iran]).all()
