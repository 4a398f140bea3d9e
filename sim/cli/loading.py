"""A scenario as the commands read it: loaded and checked whole before any work starts."""

from __future__ import annotations


def load_checked(name: str, **levers: float):
    """A scenario loaded and checked whole, its outcomes too, every error naming its file."""
    from sim.errors import ScenarioError
    from sim.scenario.loading import load_scenario, resolve_path

    scenario = load_scenario(name, **levers)
    from sim.results.outcomes import check_outcomes  # (pandas, xarray: once the file is good)

    try:
        check_outcomes(scenario)
    except ScenarioError as err:
        raise err.in_file(str(resolve_path(name))) from None
    return scenario
