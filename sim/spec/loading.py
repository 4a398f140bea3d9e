"""Reading scenario files: safe YAML (duplicate keys refused), overlays (`extends:`), validation
and cross-references, with errors that name the file, the field and what is allowed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.spec.paths import item_name, overlay
from sim.spec.references import check_references
from sim.spec.schema import Scenario

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in scenarios/ (the calibration targets live in
    scenarios/calibration/)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def resolve_path(name: str | Path) -> Path:
    """A scenario path as given, or the name of a shipped scenario ('baseline')."""
    path = Path(name)
    if path.exists() or path.suffix:
        return path
    return SCENARIO_DIR / f"{name}.yaml"


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names one key twice (plain PyYAML would keep the last silently)."""


class StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing duplicate keys."""

    def construct_mapping(self, node, deep=False):
        first_line: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in first_line:
                    raise DuplicateKeyError(
                        problem=f"duplicate key {key!r} (first given at line {first_line[key]})",
                        problem_mark=key_node.start_mark,
                    )
            except TypeError:  # an unhashable key: the base class reports it
                break
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


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
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        if isinstance(err, DuplicateKeyError):
            problem += "; each key may appear once in a mapping"
        elif isinstance(err, yaml.constructor.ConstructorError):
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
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": "letters, digits, '_', '.' and '-', starting with a letter "
    "or digit (it names folders)",
}


def first_error(err: ValidationError, data: dict) -> ScenarioError:
    issue = err.errors()[0]
    loc = [part for part in issue["loc"] if not _type_tag(part)]
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


def _type_tag(part) -> bool:
    """A part of a pydantic error location that names a type of a union, not a field:
    'PowerPriorities', 'list[union[float,int]]', 'float'."""
    return isinstance(part, str) and (
        part in ("PowerPriorities", "StatePriorities", "float", "int", "str", "bool") or "[" in part
    )


def _readable_location(loc: list, data: dict) -> str:
    """'actors[2].gdp' becomes 'actors[2] (TJK).gdp' so the user finds the entry."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            key = (
                item_name(node[part])
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
