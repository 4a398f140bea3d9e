"""Regional influence simulator: powers, a host and its neighbours, month by month, many worlds.

from sim import load_scenario, run, load_results, save_results
res = run(load_scenario("baseline"), worlds=500, seed=1)
res.dataset; res.summary(); res.influence(); res.plot_influence("AFG"); save_results(res, DIR)
res = load_results("out/baseline")   # a result folder, opened lazily
compare(res, load_results("out/us_reengagement"), state="AFG").final()   # paired by world

Analysis (docs/analysis.md): run_batch(files, DIR) then load_results(DIR) for many runs;
policy_table(runs, "USA", "AFG", baseline="baseline") with regret; sensitivity(res) (which
assumptions drive the outcomes of a drawn run); discover(res, "us_over_afghanistan", top=0.2)
(under which assumptions); search_levers(...) (a Pareto set of lever settings); figures
fan_chart, difference_chart, policy_chart, indices_chart. The EMA Workbench: sim.connectors.ema.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = [
    "InputError",
    "MissingDependencyError",
    "RegionalInfluenceModel",
    "ResultError",
    "Results",
    "Scenario",
    "ScenarioError",
    "UsageError",
    "compare",
    "difference_chart",
    "discover",
    "fan_chart",
    "indices_chart",
    "load_results",
    "load_scenario",
    "policy_chart",
    "policy_table",
    "run",
    "run_batch",
    "save_results",
    "search_levers",
    "sensitivity",
]

_LAZY = {
    "load_scenario": "sim.scenario.loading",
    "compare": "sim.analysis.compare",
    "policy_table": "sim.analysis.policies",
    "sensitivity": "sim.analysis.sensitivity",
    "discover": "sim.analysis.discovery",
    "search_levers": "sim.analysis.search",
    "fan_chart": "sim.analysis.figures",
    "difference_chart": "sim.analysis.figures",
    "policy_chart": "sim.analysis.figures",
    "indices_chart": "sim.analysis.figures",
    "run_batch": "sim.batch.batch",
    "run": "sim.batch.runner",
    "load_results": "sim.results.collection",
    "save_results": "sim.results.store",
    "Results": "sim.results.dataset",
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.errors",
    "InputError": "sim.errors",
    "UsageError": "sim.errors",
    "MissingDependencyError": "sim.errors",
    "ResultError": "sim.errors",
    "RegionalInfluenceModel": "sim.model",
}


def __getattr__(name: str):
    """Import on first use, so `sim --help` stays fast."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
