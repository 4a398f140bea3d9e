"""What the page shows, as plain data: the scenario, its lever and assumption values, worlds,
seed, the state and month shown, and the run compared against. A View round-trips through the
page's URL query, so a link reproduces the view; values from a URL are checked like any input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from sim.errors import ScenarioError
from sim.scenario.loading import shipped_scenarios
from sim.scenario.schema import Scenario
from sim.scenario.vocab import ASSUMPTION_MODES, DEFAULT_ASSUMPTIONS, MAX_SEED
from viz.ensemble import preset

PREVIEW_WORLDS = 100
DEFAULT_WORLDS = 500
MAX_UI_WORLDS = 5000  # an ensemble the page recomputes on every change; sim run for more
DEFAULT_SEED = 1
BASELINE = "baseline"
MAX_QUERY_KEYS = 64  # entries of a link read (a view writes at most a few dozen); the rest dropped


def presets() -> list[str]:
    """The scenario library (shipped scenarios), the baseline first."""
    names = shipped_scenarios()
    return [BASELINE, *(n for n in names if n != BASELINE)]


@dataclass(frozen=True)
class View:
    """One view of the page. `values` holds only the levers and uncertainties moved away from
    the preset's own values; `against` is the preset the comparison runs against."""

    preset: str = BASELINE
    values: tuple[tuple[str, float], ...] = ()
    worlds: int = DEFAULT_WORLDS
    seed: int = DEFAULT_SEED
    state: str = "AFG"
    month: int = -1  # -1: the last month
    against: str = BASELINE
    assumptions: str = DEFAULT_ASSUMPTIONS  # drawn per world, or fixed (sliders set them)
    problems: tuple[str, ...] = field(default=(), compare=False)

    def replace(self, **changes) -> View:
        return dataclasses.replace(self, **changes)

    def with_value(self, name: str, value: float, written: float) -> View:
        """The view with one factor set; a value equal to the preset's own is dropped."""
        values = dict(self.values)
        if value == written:
            values.pop(name, None)
        else:
            values[name] = float(value)
        return self.replace(values=tuple(sorted(values.items())))

    def query(self) -> str:
        """The URL query string of this view (defaults left out)."""
        pairs = [
            (f.name, getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in ("values", "problems") and getattr(self, f.name) != f.default
        ]
        pairs += [(f"v.{name}", repr(value)) for name, value in self.values]  # exact
        return urlencode(pairs)


def view_from_query(query: str | None) -> View:
    """The view a URL query describes. Unknown or invalid entries are dropped, each with a
    problem message the page shows, so a bad link opens the nearest valid view; of a key
    given twice the last counts, and entries past MAX_QUERY_KEYS are dropped with a note."""
    problems: list[str] = []
    view = View()
    pairs = _query_pairs(query or "", problems)
    given = {k: v for k, v in pairs if not k.startswith("v.")}
    if given.get("preset", BASELINE) in presets():
        view = view.replace(preset=given.get("preset", BASELINE))
    else:
        problems.append(f"preset {given['preset']!r} is not in the scenario library")
    scenario = preset(view.preset)
    for name, convert in (("worlds", int), ("seed", int), ("month", int)):
        if name in given:
            try:
                value = convert(given[name])
                check_number(name, value, scenario)
                view = view.replace(**{name: value})
            except (ValueError, ScenarioError) as err:
                problems.append(f"{name}: {_message(err)}")
    choices = {
        "state": scenario.codes("host", "neighbor"),
        "against": presets(),
        "assumptions": list(ASSUMPTION_MODES),
    }
    for name, allowed in choices.items():
        if name in given:
            if given[name] in allowed:
                view = view.replace(**{name: given[name]})
            else:
                problems.append(f"{name}: {given[name]!r} is not one of {', '.join(allowed)}")
    values = {}
    texts = {key[2:]: text for key, text in pairs if key.startswith("v.")}  # a repeated key: last
    uncertain = {u.name for u in scenario.uncertainties}
    for name, text in texts.items():
        if name in uncertain and view.assumptions == "drawn":
            problems.append(f"{name}: drawn per world; its value applies with fixed assumptions")
            continue
        try:
            values[name] = float(text)
            scenario.with_values(**{name: values[name]})
        except (ValueError, ScenarioError) as err:
            values.pop(name, None)
            problems.append(f"{name}: {_message(err)}")
    return view.replace(values=tuple(sorted(values.items())), problems=tuple(problems))


def _query_pairs(query: str, problems: list[str]) -> list[tuple[str, str]]:
    """The first MAX_QUERY_KEYS entries of a query, noting in `problems` how many were dropped,
    so that a link of any length is read in bounded time."""
    entries = query.split("&", MAX_QUERY_KEYS)
    if len(entries) > MAX_QUERY_KEYS:
        dropped = entries.pop().count("&") + 1
        problems.append(
            f"the link has {MAX_QUERY_KEYS + dropped:,} entries; only the first "
            f"{MAX_QUERY_KEYS} are read, the other {dropped:,} are dropped"
        )
    return parse_qsl("&".join(entries), keep_blank_values=True)


def check_number(name: str, value: int, scenario: Scenario) -> None:
    """Refuse worlds, seed or month outside what the page runs, naming the allowed range."""
    limits = {
        "worlds": (PREVIEW_WORLDS, MAX_UI_WORLDS),
        "seed": (0, MAX_SEED - 1),
        "month": (-1, scenario.horizon_months - 1),
    }
    low, high = limits[name]
    if not low <= value <= high:
        raise ScenarioError(name, f"{value} is outside the allowed range [{low}, {high}]")


def _message(err: Exception) -> str:
    return err.message if isinstance(err, ScenarioError) else f"not a number ({err})"


def scenario_of(view: View, base: Scenario | None = None) -> Scenario:
    """The scenario a view runs: its preset (or an uploaded `base`) with the moved values,
    named for them (baseline.us_aid-100), so that titles, comparisons and downloads tell it
    from the preset."""
    scenario = base if base is not None else preset(view.preset)
    if not view.values:
        return scenario
    moved = ".".join(f"{name}-{value:g}".replace("+", "") for name, value in view.values)
    return scenario.with_values(**dict(view.values)).replace(name=f"{scenario.name}.{moved}")
