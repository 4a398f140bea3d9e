"""Reading scenario files: safe YAML, overlays (`extends:`), validation, cross-references."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario import COMMODITIES, Scenario, overlay

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in scenarios/ (targets.yaml is not a scenario)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml") if p.stem != "targets")


def resolve_path(name: str | Path) -> Path:
    """A scenario path as given, or the name of a shipped scenario ('baseline')."""
    path = Path(name)
    if path.exists() or path.suffix:
        return path
    return SCENARIO_DIR / f"{name}.yaml"


def read_yaml(path: Path) -> dict:
    """Parse one YAML mapping with the safe loader, naming the file in any error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        shipped = ", ".join(shipped_scenarios())
        raise ScenarioError(
            "",
            f"file not found; give the path of a scenario YAML file or the name of a shipped "
            f"scenario ({shipped})",
            str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError("", f"cannot be read ({err})", str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        if isinstance(err, yaml.constructor.ConstructorError):
            problem += (
                "; only plain YAML is allowed (mappings, lists, strings, numbers), no !!python tags"
            )
        elif "'\\t'" in problem:  # PyYAML writes the tab as repr: '\t'
            problem += "; indent with spaces, not tabs"
        else:
            problem += "; check the indentation and quoting on and just above that line"
        raise ScenarioError("", f"is not valid YAML{where}: {problem}", str(path)) from None
    if not isinstance(data, dict):
        raise ScenarioError("", "must hold a mapping of scenario fields at top level", str(path))
    return data


def scenario_data(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The scenario's raw data with any `extends:` chain merged in (the overlay wins)."""
    data = read_yaml(path)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError("extends", "must be the path of a scenario file", str(path))
    base_path = (path.parent / base).resolve()
    if not base_path.exists() and not Path(base).suffix:
        base_path = resolve_path(base)  # the name of a shipped scenario
    if base_path in seen:
        raise ScenarioError("extends", f"{base} extends itself in a cycle", str(path))
    return overlay(scenario_data(base_path, (*seen, base_path)), data)


def load_scenario(path: str | Path, **levers: float) -> Scenario:
    """Load, validate and cross-check a scenario file; optionally set declared levers."""
    path = resolve_path(path)
    try:
        scenario = parse_scenario(scenario_data(path))
        return scenario.with_levers(**levers) if levers else scenario
    except ScenarioError as err:
        raise err.in_file(err.file or str(path)) from None


def with_horizon(scenario: Scenario, months: int, file: str | None = None) -> Scenario:
    """The scenario with another horizon (`sim run --months`), checked like the file's field."""
    data = {**scenario.model_dump(mode="json"), "horizon_months": months}
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise first_error(err, data).in_file(file) from None


def parse_scenario(data: dict) -> Scenario:
    """Validate a scenario dict into a Scenario; raise ScenarioError naming the first bad field."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise first_error(err, data) from None
    check_references(scenario)
    return scenario


# What each string pattern of the schema means, for error messages.
PATTERNS = {
    r"^\d{4}-\d{2}$": "a month written YYYY-MM, e.g. 2025-07",
    r"^[A-Z]{3}$": "a three-letter upper-case ISO 3166 alpha-3 code, e.g. AFG",
    r"^[a-z0-9_]+$": "lower-case letters, digits and underscores",
    r"^[a-z][a-z0-9_]*$": "lower-case letters, digits and underscores, starting with a letter",
}


def first_error(err: ValidationError, data: dict) -> ScenarioError:
    issue = err.errors()[0]
    loc = [part for part in issue["loc"] if part not in ("PowerPriorities", "StatePriorities")]
    field = _readable_location(loc, data)
    message = issue["msg"].removeprefix("Value error, ")
    if issue["type"] == "extra_forbidden":
        message = "unknown key; check the spelling against `sim schema` or docs/scenarios.md"
    elif issue["type"] == "string_pattern_mismatch":
        pattern = issue.get("ctx", {}).get("pattern", "")
        wanted = PATTERNS.get(pattern, f"text matching the pattern {pattern}")
        message = f"must be {wanted} (got {issue.get('input')!r})"
    elif issue["type"] != "missing" and isinstance(issue.get("input"), str | int | float | date):
        got = repr(issue["input"])
        message += "" if got in message else f" (got {got})"
    more = len(err.errors()) - 1
    if more:
        message += f" ({more} more problem{'s' if more > 1 else ''} after this one)"
    return ScenarioError(field, message)


def _readable_location(loc: list, data: dict) -> str:
    """'actors[2].gdp' becomes 'actors[2] (TJK).gdp' so the user finds the entry."""
    from sim.paths import item_key

    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            key = (
                item_key(node[part])
                if isinstance(node, list) and part < len(node) and isinstance(node[part], dict)
                else None
            )
            parts[-1] += f"[{part}]" + (f" ({key})" if key else "")
        else:
            parts.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts)


def check_references(s: Scenario) -> None:
    """Every code, id and path a scenario mentions must exist and fit its role."""
    codes = s.codes()
    powers, states = s.codes("power"), s.codes("host", "neighbor")
    for name in s.lever_reference:
        if name not in [lever.name for lever in s.levers]:
            raise ScenarioError(
                f"lever_reference.{name}",
                f"not a declared lever; declared: {', '.join(lv.name for lv in s.levers)}",
            )
    hosts = s.codes("host")
    crossings = [c.id for c in s.crossings]

    def need(value, allowed, field):
        if value not in allowed:
            raise ScenarioError(
                field, f"unknown value {value!r}; allowed: {', '.join(map(str, allowed))}"
            )

    _unique(codes, "actors", "code")
    _unique(crossings, "crossings", "id")
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
        need(r.power, powers, f"relations[{i}].power")
        need(r.state, states, f"relations[{i}].state")
    names = [c.name for c in s.commodities]
    _unique(names, "commodities", "name")
    for k in ("fuel", "agrifood", "minerals", "manufactures"):
        need(k, names, "commodities (required groups: fuel, agrifood, minerals, manufactures)")
    _unique([f"{f.exporter}-{f.importer}-{f.commodity}" for f in s.trade], "trade", "flow")
    for i, f in enumerate(s.trade):
        need(f.exporter, codes, f"trade[{i}].exporter")
        need(f.importer, codes, f"trade[{i}].importer")
        need(f.commodity, names, f"trade[{i}].commodity")
        if f.exporter == f.importer:
            raise ScenarioError(f"trade[{i}]", "exporter and importer must differ")
        if f.route is not None:
            need(f.route, crossings, f"trade[{i}].route")
            if hosts[0] not in (f.exporter, f.importer):
                raise ScenarioError(
                    f"trade[{i}].route", "only flows to or from the host use crossings"
                )
    for i, c in enumerate(s.crossings):
        need(c.transit_state, states, f"crossings[{i}].transit_state")
        if c.alternate is not None:
            need(c.alternate, [x for x in crossings if x != c.id], f"crossings[{i}].alternate")
    _unique([t.name for t in s.shocks], "shocks", "name")
    for i, m in enumerate(s.migration):
        need(m.origin, states, f"migration[{i}].origin")
        need(m.destination, powers, f"migration[{i}].destination")
    for i, e in enumerate(s.events):
        _check_event(s, e, f"events[{i}]", need)
    _unique([lv.name for lv in s.levers], "levers", "name")
    data = s.model_dump(mode="json")
    from sim.paths import get_path

    for i, lever in enumerate(s.levers):
        try:
            value = get_path(data, lever.path)
        except KeyError as err:
            raise ScenarioError(f"levers[{i}].path", err.args[0]) from None
        if not isinstance(value, int | float):
            raise ScenarioError(f"levers[{i}].path", f"{lever.path!r} is not a number")
        if not lever.low <= value <= lever.high:
            raise ScenarioError(
                f"levers[{i}] ({lever.name})",
                f"current value {value} lies outside the bounds [{lever.low}, {lever.high}]",
            )
    assert set(COMMODITIES) >= set(names)


EVENT_NEEDS = {
    "attack": ("target",),
    "border_clash": ("target",),
    "trafficking_surge": (),
    "closure": ("crossing",),
    "infrastructure": ("crossing",),
    "recognition": ("actor",),
    "sanctions": ("actor",),
    "aid": ("actor", "target"),
    "agreement": ("actor", "target"),
    "engagement": ("actor", "target", "instrument"),
    "migration": ("actor", "target"),
}


def _check_event(s: Scenario, e, field: str, need) -> None:
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
        need(e.actor, s.codes() if e.type == "agreement" else s.codes("power"), f"{field}.actor")
    if e.target is not None:
        allowed = s.codes("host", "neighbor") if e.type != "attack" else s.codes()
        need(e.target, allowed, f"{field}.target")
    if e.crossing is not None:
        need(e.crossing, [c.id for c in s.crossings], f"{field}.crossing")
    if e.type == "migration" and not any(
        m.origin == e.target and m.destination == e.actor for m in s.migration
    ):
        raise ScenarioError(f"{field}", f"no migration corridor from {e.target} to {e.actor}")
    if (
        e.type in ("attack", "border_clash", "closure", "trafficking_surge")
        and not 0 <= e.value <= 1
    ):
        raise ScenarioError(f"{field}.value", f"magnitude {e.value} must lie in [0, 1]")
    if e.type in ("recognition", "sanctions", "engagement") and not -1 <= e.value <= 1:
        raise ScenarioError(f"{field}.value", f"{e.type} value {e.value} must lie in [-1, 1]")
    if e.type in ("aid", "infrastructure", "agreement", "migration") and e.value < 0:
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
