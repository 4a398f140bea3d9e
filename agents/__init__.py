"""The model's Mesa agents, one module per role. Each role's rule is vectorised over its actors
and over worlds; the agents themselves carry identity and give views of their slice of state."""

from agents.host import Host
from agents.neighbor import Neighbor
from agents.power import Power
from agents.threat import ThreatNetwork

__all__ = ["Host", "Neighbor", "Power", "ThreatNetwork"]
