"""The closed vocabularies of sim.scenario.vocab and the code that serves them stay in step: the
named axes follow the vocabularies, every event type has its handler, every shock kind and
role its effect and agent, and every public piece of the engine and the agents says what it is."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from sim.core import axes
from sim.core.channels import effect_rows
from sim.core.stages.events import HANDLERS
from sim.model import RegionalInfluenceModel
from sim.scenario import vocab
from sim.scenario.loading import load_scenario
from sim.scenario.schema import InfluenceWeights

ROOT = Path(__file__).resolve().parents[1]
BASELINE = load_scenario("baseline")


@pytest.mark.parametrize("axis", list(axes.AXES), ids=lambda a: a.__name__)
def test_each_named_axis_is_its_vocabulary_in_order(axis):
    words = axes.AXES[axis]
    assert [m.name.lower() for m in axes.in_order(axis)] == list(words)
    assert [int(m) for m in axes.in_order(axis)] == list(range(len(words)))


def test_stacking_by_name_puts_each_member_at_its_position():
    values = {m: np.full(2, float(m)) for m in reversed(list(axes.Instrument))}
    stacked = axes.stack(values, axis=-1)
    assert stacked.tolist() == [[0.0, 1.0, 2.0]] * 2
    with pytest.raises(KeyError):
        axes.stack({axes.Instrument.SECURITY: np.zeros(2)}, axis=-1)


def test_leverage_is_the_one_component_not_weighed_by_openness():
    assert set(axes.ACCEPTED) == set(axes.Component) - {axes.Component.LEVERAGE}


def test_every_event_type_has_a_handler_and_one_kind():
    assert set(HANDLERS) == set(vocab.EVENT_TYPES)
    kinds = (vocab.SECURITY_EVENTS, vocab.SIGNED_EVENTS, vocab.SCALE_EVENTS)
    for event_type in vocab.EVENT_TYPES:
        assert sum(event_type in kind for kind in kinds) == 1, event_type


def test_every_shock_kind_is_declared_in_the_baseline_and_has_an_effect():
    assert {t.name for t in BASELINE.shocks} == set(vocab.SHOCK_KINDS)
    host = BASELINE.codes().index(BASELINE.codes("host")[0])
    tajikistan = BASELINE.codes().index("TJK")
    for kind in vocab.SHOCK_KINDS:
        target = 0 if kind == "closure" else tajikistan if kind == "border_clash" else host
        effects = effect_rows(BASELINE, [kind], [target])
        moved = [effects.threat, effects.turbulence, effects.network, effects.closure]
        assert any(np.any(rows != 0) for rows in moved), kind


def test_every_role_has_an_agent_and_every_network_its_agent():
    model = RegionalInfluenceModel(BASELINE, worlds=1)
    roles = {agent.role for agent in model.agents}
    assert roles == {*vocab.ROLES, "threat_network"}
    networks = [a.code for a in model.agents if a.role == "threat_network"]
    assert networks == list(vocab.NETWORKS)


def test_every_commodity_source_kind_and_component_is_used():
    assert {c.name for c in BASELINE.commodities} == set(vocab.COMMODITIES)
    text = (ROOT / "scenarios" / "baseline.yaml").read_text()
    assert [k for k in vocab.SOURCE_KINDS if f"{k}:" not in text] == []
    assert set(vocab.INFLUENCE_COMPONENTS) <= set(InfluenceWeights.model_fields)
    assert len(vocab.EFFORTS) == len(vocab.NETWORKS)


def _public_definitions(path: Path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            yield node.name, node
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        yield f"{node.name}.{item.name}", item


def test_every_public_class_and_function_of_the_engine_and_agents_has_a_docstring():
    files = [
        *sorted((ROOT / "sim" / "core").rglob("*.py")),
        *sorted((ROOT / "agents").glob("*.py")),
    ]
    missing = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name, node in _public_definitions(path)
        if not ast.get_docstring(node)
    ]
    assert missing == []
