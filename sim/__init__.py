"""Regional influence simulator: powers, a host and its neighbours, month by month, many worlds.

from sim import load_scenario, run
res = run(load_scenario("baseline"), worlds=500, seed=1)
res.summary(); res.influence(); res.plot_influence("AFG")
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Results", "RegionalInfluenceModel", "Scenario", "ScenarioError", "load_scenario", "run"]

_LAZY = {
    "load_scenario": "sim.loading",
    "run": "sim.runner",
    "Results": "sim.results",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.errors",
    "RegionalInfluenceModel": "sim.model",
}


def __getattr__(name: str):
    """Import on first use, so `sim --help` stays fast."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
