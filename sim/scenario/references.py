"""Cross-references of a parsed scenario: every code, id and path it mentions must exist and fit
its role. Checked after parsing, so an error names the exact field that holds the bad reference."""

from __future__ import annotations

import copy
import functools

from pydantic import TypeAdapter, ValidationError

from sim.errors import ScenarioError
from sim.scenario.paths import get_path, set_path
from sim.scenario.schema import MAX_POINTS, Scenario
from sim.scenario.vocab import (
    ATTACKS,
    EVENT_NEEDS,
    REQUIRED_COMMODITIES,
    SCALE_EVENTS,
    SECURITY_EVENTS,
    SIGNED_EVENTS,
    flow_label,
)


def check_references(s: Scenario) -> None:
    """Every code, id and path a scenario mentions must exist and fit its role."""
    _check_actors(s)
    _check_trade(s)
    _check_links(s)
    for i, e in enumerate(s.events):
        _check_event(s, e, f"events[{i}] ({e.month} {e.type})")
    _check_factors(s)
    if s.sweep is not None:
        _check_sweep(s)


def _need(value, allowed, field: str) -> None:
    """Refuse a value that is not one of those allowed, listing them."""
    if value not in allowed:
        raise ScenarioError(
            field, f"unknown value {value!r}; allowed: {', '.join(map(str, allowed))}"
        )


def _check_actors(s: Scenario) -> None:
    """Unique codes, one host, at least one power, and the relations between declared ones."""
    _unique(s.codes(), "actors", "code")
    hosts, powers, states = s.codes("host"), s.codes("power"), s.codes("host", "neighbor")
    if len(hosts) != 1:
        raise ScenarioError("actors", f"exactly one actor must have role host; found {hosts}")
    if not powers:
        raise ScenarioError("actors", "at least one actor must have role power")
    for i, a in enumerate(s.actors):
        if a.role != "power" and "rest_of_world_trade" not in a.model_fields_set:
            raise ScenarioError(
                f"actors[{i}] ({a.code}).rest_of_world_trade",
                "is required for the host and neighbours (trade shares need it)",
            )
    _unique([f"{r.power}-{r.state}" for r in s.relations], "relations", "power-state pair")
    for i, r in enumerate(s.relations):
        _need(r.power, powers, f"relations[{i}] ({r.power}-{r.state}).power")
        _need(r.state, states, f"relations[{i}] ({r.power}-{r.state}).state")


def _check_trade(s: Scenario) -> None:
    """Commodity groups, and flows between declared actors along declared crossings."""
    codes, crossings = s.codes(), [c.id for c in s.crossings]
    host = s.codes("host")[0]
    names = [c.name for c in s.commodities]
    _unique(names, "commodities", "name")
    for k in REQUIRED_COMMODITIES:
        _need(k, names, f"commodities (required groups: {', '.join(REQUIRED_COMMODITIES)})")
    _unique([flow_label(f.exporter, f.importer, f.commodity) for f in s.trade], "trade", "flow")
    for i, f in enumerate(s.trade):
        item = f"trade[{i}] ({flow_label(f.exporter, f.importer, f.commodity)})"
        _need(f.exporter, codes, f"{item}.exporter")
        _need(f.importer, codes, f"{item}.importer")
        _need(f.commodity, names, f"{item}.commodity")
        if f.exporter == f.importer:
            raise ScenarioError(f"trade[{i}]", "exporter and importer must differ")
        if f.route is not None:
            _need(f.route, crossings, f"trade[{i}].route")
            if host not in (f.exporter, f.importer):
                raise ScenarioError(
                    f"trade[{i}].route", "only flows to or from the host use crossings"
                )


def _check_links(s: Scenario) -> None:
    """Crossings, shocks, migration corridors and alliances name declared actors and ids."""
    codes, states, powers = s.codes(), s.codes("host", "neighbor"), s.codes("power")
    crossings = [c.id for c in s.crossings]
    _unique(crossings, "crossings", "id")
    for i, c in enumerate(s.crossings):
        _need(c.transit_state, states, f"crossings[{i}] ({c.id}).transit_state")
        if c.alternate is not None:
            others = [x for x in crossings if x != c.id]
            _need(c.alternate, others, f"crossings[{i}] ({c.id}).alternate")
    _unique([t.name for t in s.shocks], "shocks", "name")
    for i, m in enumerate(s.migration):
        _need(m.origin, states, f"migration[{i}] ({m.origin}-{m.destination}).origin")
        _need(m.destination, powers, f"migration[{i}] ({m.origin}-{m.destination}).destination")
    _unique([a.name for a in s.alliances], "alliances", "name")
    for i, a in enumerate(s.alliances):
        for code in a.members:
            _need(code, codes, f"alliances[{i}] ({a.name}).members")
        _unique(a.members, f"alliances[{i}] ({a.name}).members", "member")


def _check_factors(s: Scenario) -> None:
    """Levers and uncertainties: unique names, paths to numbers within their bounds, and
    uncertainties whose whole range gives valid scenarios."""
    declared = [lever.name for lever in s.levers]
    for name in s.lever_reference:
        if name not in declared:
            raise ScenarioError(
                f"lever_reference.{name}", f"not a declared lever; declared: {', '.join(declared)}"
            )
    names = [x.name for x in [*s.levers, *s.uncertainties, *s.shares, *s.outcomes]]
    _unique(names, "levers, uncertainties, shares and outcomes", "name")
    data = s.model_dump(mode="json")
    for kind, items in (("levers", s.levers), ("uncertainties", s.uncertainties)):
        for i, item in enumerate(items):
            _check_factor(data, item, f"{kind}[{i}]")
    for i, item in enumerate(s.shares):
        _check_shares(data, item, f"shares[{i}] ({item.name})")
    drawn = [x.path for x in s.uncertainties]
    drawn += [path for x in s.shares for path in x.paths]
    _unique(drawn, "uncertainties and shares", "path")
    lever_paths = {lever.path: lever.name for lever in s.levers}
    for path in drawn:
        if path in lever_paths:
            raise ScenarioError(
                "uncertainties",
                f"the path {path} is both the lever {lever_paths[path]} and an uncertainty: a "
                "number is either a policy choice or unknown, not both",
            )
    for name in s.pinned:
        if name not in {x.name for x in s.uncertainties}:
            raise ScenarioError("pinned", f"{name} is not a declared uncertainty")
    for i, item in enumerate(s.uncertainties):
        for end in ("low", "high"):
            _check_end(data, item, end, f"uncertainties[{i}] ({item.name}).{end}")


def _check_end(data: dict, item, end: str, field: str) -> None:
    """The scenario with an uncertainty at one end of its range is valid. Only the top-level
    field the path lies in is validated again (no check of the schema spans two of them): a
    tenth of the time of the whole scenario, for each end of every range."""
    top = item.path.split(".")[0]
    part = {top: copy.deepcopy(data[top])}
    value = getattr(item, end)
    set_path(part, item.path, float(value))
    try:
        _adapter(top).validate_python(part[top])
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(map(str, (top, *first["loc"])))
        raise ScenarioError(
            field,
            f"the value {item.name}={value:g} gives an invalid scenario: {where}: "
            f"{first['msg'].removeprefix('Value error, ')}",
        ) from None


@functools.cache
def _adapter(top: str) -> TypeAdapter:
    """The validator of one top-level field of a scenario."""
    return TypeAdapter(Scenario.model_fields[top].annotation)


def _check_shares(data: dict, item, field: str) -> None:
    """Shares name distinct numbers, each above 0 as written (a Dirichlet's parameters)."""
    if len(set(item.parts)) < len(item.parts):
        raise ScenarioError(f"{field}.paths", "the paths must end in distinct names")
    for path in item.paths:
        try:
            value = get_path(data, path)
        except KeyError as err:
            raise ScenarioError(f"{field}.paths", err.args[0]) from None
        if not isinstance(value, int | float) or value <= 0:
            raise ScenarioError(
                f"{field}.paths", f"{path!r} must be a number above 0 as written, not {value!r}"
            )


def _check_factor(data: dict, item, field: str) -> None:
    """A lever's or uncertainty's path names a number that lies within its bounds."""
    try:
        value = get_path(data, item.path)
    except KeyError as err:
        raise ScenarioError(f"{field}.path", err.args[0]) from None
    if not isinstance(value, int | float):
        raise ScenarioError(f"{field}.path", f"{item.path!r} is not a number")
    item.check(value, f"{field} ({item.name})")


def _check_sweep(s: Scenario) -> None:
    factors = s.factors()
    names = list(s.sweep.grid or {}) + s.sweep.over
    field = "sweep.grid" if s.sweep.grid is not None else "sweep.over"
    for name in names:
        if name not in factors:
            raise ScenarioError(
                f"{field}.{name}",
                f"not a declared lever or uncertainty; declared: {', '.join(factors) or 'none'}",
            )
    _unique(s.sweep.over, "sweep.over", "factor")
    _check_sweep_size(s.sweep)
    for name, values in (s.sweep.grid or {}).items():
        item = factors[name]
        for value in values if isinstance(values, list) else []:
            item.check(value, f"sweep.grid.{name}")
    if s.sweep.sample is not None and not (s.sweep.over or factors):
        raise ScenarioError("sweep.sample", "the scenario declares no lever or uncertainty")


def _check_sweep_size(sweep) -> None:
    """Refuse a grid of more than MAX_POINTS points, counted before anything is expanded."""
    count = sweep.size()
    if sweep.grid is not None and count > MAX_POINTS:
        levels = " x ".join(
            f"{name}: {v if isinstance(v, int) else len(v):,}" for name, v in sweep.grid.items()
        )
        raise ScenarioError(
            "sweep.grid",
            f"{count:,} points ({levels}) is above the limit of {MAX_POINTS:,} points per "
            "sweep; give fewer values or levels, or sample the factors (sample, points)",
        )


def _check_event(s: Scenario, e, field: str) -> None:
    for name in EVENT_NEEDS[e.type]:
        if getattr(e, name) is None:
            raise ScenarioError(f"{field}.{name}", f"an event of type {e.type} needs {name}")
    month = s.month_index(e.month)
    if not 0 <= month < s.horizon_months:
        raise ScenarioError(
            f"{field}.month",
            f"{e.month} lies outside the simulated months {s.start} + {s.horizon_months} months",
        )
    if e.actor is not None:
        if e.type == "agreement":
            allowed = s.codes()
        elif e.type == "host_ties_support":  # a neighbour holding ties over the host
            allowed = [a.code for a in s.actors if a.host_ties is not None]
        else:
            allowed = s.codes("power")
        _need(e.actor, allowed, f"{field}.actor")
    if e.target is not None:
        allowed = s.codes() if e.type in ATTACKS else s.codes("host", "neighbor")
        _need(e.target, allowed, f"{field}.target")
    if e.crossing is not None:
        _need(e.crossing, [c.id for c in s.crossings], f"{field}.crossing")
    if e.type == "migration" and not any(
        m.origin == e.target and m.destination == e.actor for m in s.migration
    ):
        raise ScenarioError(f"{field}", f"no migration corridor from {e.target} to {e.actor}")
    if e.type in SECURITY_EVENTS and not 0 <= e.value <= 1:
        raise ScenarioError(f"{field}.value", f"magnitude {e.value} must lie in [0, 1]")
    if e.type in SIGNED_EVENTS and not -1 <= e.value <= 1:
        raise ScenarioError(f"{field}.value", f"{e.type} value {e.value} must lie in [-1, 1]")
    if e.type in SCALE_EVENTS and e.value < 0:
        raise ScenarioError(f"{field}.value", f"{e.type} value {e.value} must not be negative")
    if e.duration_months and e.type != "closure":
        raise ScenarioError(
            f"{field}.duration_months",
            f"only a closure lasts for a set number of months; an event of type {e.type} is a "
            "change that holds until another event changes it (remove duration_months)",
        )


def _unique(values: list, field: str, what: str) -> None:
    seen = set()
    for v in values:
        if v in seen:
            raise ScenarioError(field, f"duplicate {what} {v!r}; each must appear once")
        seen.add(v)
