"""What every actor agent shares: its code, its index on the actor axis, and its role.

A note for Mesa users: these agents do not each hold state and step one by one. The model runs
R worlds at once, so its state is a set of numpy arrays with a leading axis of worlds
(sim.core.state), and each agent is a view of its slice of them (`agent.threat_perception` is
that actor's threat in every world). Each role's decision rule is one vectorised function over
all its actors and worlds (agents.power.decide_powers, ...), called once a month by the model:
that is the trade that makes an ensemble of thousands of worlds as cheap as a few.
Agents import the engine core (sim.core) only.
"""

from __future__ import annotations

import mesa


class AxisAgent(mesa.Agent):
    """An agent that stands for one position of an axis of the model's arrays: `code` names
    it, `index` is its position."""

    role = "agent"

    def __init__(self, model, code: str, index: int):
        super().__init__(model)
        self.code, self.index = code, index

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code})"


class ActorAgent(AxisAgent):
    """A state or power of the scenario; `index` is its position on the actor axis."""

    role = "actor"

    @property
    def threat_perception(self):
        """Threat perception in every world, shape (R,)."""
        return self.model.state.threat[:, self.index]
