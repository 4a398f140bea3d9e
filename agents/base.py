"""What every actor agent shares: its code, its index in the actor axis, and its role."""

from __future__ import annotations

import mesa


class Actor(mesa.Agent):
    """A state or power of the scenario; `index` is its position on the actor axis."""

    role = "actor"

    def __init__(self, model, code: str, index: int):
        super().__init__(model)
        self.code, self.index = code, index

    @property
    def threat_perception(self):
        """Threat perception in every world, shape (R,)."""
        return self.model.state.threat[:, self.index]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code})"
