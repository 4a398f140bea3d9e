"""Reading scenario files: safe YAML (duplicate keys refused), overlays (`extends:`), validation
and cross-references, with errors that name the file, the field and what is allowed."""

from __future__ import annotations

import importlib.util
import stat
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.paths import item_name, merge_overlay
from sim.scenario.references import check_references
from sim.scenario.schema import Scenario
from sim.scenario.vocab import PATTERN_MEANINGS


def _library() -> Path:
    """The scenario library, the data package sim.scenario.library that pyproject.toml maps onto
    scenarios/ (a checkout used without installing reads scenarios/ beside sim/)."""
    spec = importlib.util.find_spec("sim.scenario.library")
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "scenarios"


SCENARIO_DIR = _library()


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


MAX_FILE_BYTES = 2**20  # an input file (scenario, targets): seven times the baseline's 147 kB
MAX_DEPTH = 32  # nesting of mappings and lists (the baseline: 5)
MAX_VALUES = 200_000  # values of a file once its aliases are expanded (the baseline: about 7,500)


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names one key twice (plain PyYAML would keep the last silently)."""


class LimitError(yaml.MarkedYAMLError):
    """A file nested too deep, or whose aliases expand to too many values (an alias bomb)."""


class StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing duplicate keys, nesting deeper than MAX_DEPTH, and documents
    that hold more than MAX_VALUES values once aliases are expanded: composing stays linear in
    the file's size, and so does everything that walks the data afterwards."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._values: dict[int, int] = {}  # id(node) -> its values with aliases expanded

    def compose_node(self, parent, index):
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self._values:
                raise LimitError(problem="has an alias to the value it is part of",
                                 problem_mark=mark)  # fmt: skip
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise LimitError(problem=f"is nested deeper than {MAX_DEPTH} levels", problem_mark=mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        children = node.value if isinstance(node, yaml.SequenceNode) else ()
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        values = 1 + sum(self._values[id(child)] for child in children)
        if values > MAX_VALUES:
            raise LimitError(
                problem=f"holds more than {MAX_VALUES:,} values once its aliases are expanded "
                "(an alias bomb?)",
                problem_mark=mark,
            )
        self._values[id(node)] = values
        return node

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


def read_text(path: Path, kind: str = "scenario") -> str:
    """An input file's text: a regular file, at most MAX_FILE_BYTES, UTF-8; anything else is
    refused before more than that is read (a device or a FIFO is never opened). `kind` names
    what the file should be in messages ('scenario', 'targets')."""
    try:
        info = path.stat()
    except FileNotFoundError:
        hint = (
            f"or the name of a shipped scenario ({', '.join(shipped_scenarios())})"
            if kind == "scenario"
            else "(the shipped one is scenarios/calibration/targets.yaml)"
        )
        raise ScenarioError(
            "", f"file not found; give the path of a {kind} YAML file {hint}", str(path)
        ) from None
    except OSError as err:
        raise ScenarioError("", f"cannot be read ({err.strerror})", str(path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError("", "is a folder; give a YAML file", str(path))
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(
            "", "is not a regular file (a device, FIFO or socket); give a YAML file", str(path)
        )
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ScenarioError("", f"cannot be read ({err.strerror})", str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(
            "",
            f"is {max(info.st_size, len(data)) / 2**20:.1f} MB, above the limit of "
            f"{MAX_FILE_BYTES // 2**20} MB for an input file; a scenario is a few hundred kB "
            "at most (the baseline is 147 kB)",
            str(path),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ScenarioError(
            "",
            f"is not UTF-8 text: byte 0x{data[err.start]:02x} at line {line}, column {column}; "
            "save it as UTF-8",
            str(path),
        ) from None


def read_yaml(path: Path, kind: str = "scenario") -> dict:
    """Parse one YAML mapping with the safe loader, naming the file in any error."""
    text = read_text(path, kind)
    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        if isinstance(err, LimitError):
            raise ScenarioError("", f"is refused{where}: it {problem}", str(path)) from None
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
        found = "a list" if isinstance(data, list) else f"the single value {data!r}"[:60]
        what = "is empty" if data is None else f"holds {found} at top level"
        raise ScenarioError(
            "", f"{what}; it must hold a mapping of {kind} fields (see docs/scenarios.md)",
            str(path),
        )  # fmt: skip
    return data


def read_validated(model, path: Path, kind: str):
    """A YAML file read and validated as the pydantic `model`; an error names the file and the
    first field at fault."""
    data = read_yaml(path, kind)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise first_error(err, data).in_file(str(path)) from None


def _base_path(path: Path, base: str) -> Path:
    """The file an `extends:` in `path` names: a path beside it, or a shipped scenario's name."""
    base_path = (path.parent / base).resolve()
    if not base_path.exists() and not Path(base).suffix:
        base_path = resolve_path(base)
    return base_path


def input_files(name: str | Path) -> list[Path]:
    """Every file a scenario reads: its own and those of its `extends:` chain, as far as they
    can be read (an output path is checked against all of them before anything is loaded)."""
    files = [resolve_path(name)]
    try:
        while isinstance(base := read_yaml(files[-1]).get("extends"), str):
            following = _base_path(files[-1], base)
            if following in files:
                break
            files.append(following)
    except ScenarioError:  # loading reports the problem; the files found so far are checked
        pass
    return files


def scenario_data(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """The scenario's raw data with any `extends:` chain merged in (the overlay wins)."""
    data = read_yaml(path)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError("extends", "must be the path of a scenario file", str(path))
    base_path = _base_path(path, base)
    chain = (*seen, path.resolve())
    if base_path in chain:
        cycle = " -> ".join(p.name for p in (*chain[chain.index(base_path) :], base_path))
        raise ScenarioError(
            "extends", f"the files extend each other in a cycle: {cycle}", str(path)
        )
    return merge_overlay(scenario_data(base_path, chain), data)


def load_scenario(path: str | Path, **levers: float) -> Scenario:
    """Load, validate and cross-check a scenario file; optionally set declared levers."""
    path = resolve_path(path)
    try:
        scenario = parse_scenario(scenario_data(path))
        return scenario.with_levers(**levers) if levers else scenario
    except ScenarioError as err:
        raise err.in_file(err.file or str(path)) from None


def with_horizon(scenario: Scenario, months: int, file: str | None = None) -> Scenario:
    """The scenario with another horizon (`sim run --months`), checked like the file's field;
    it keeps the outcomes whose window its months hold (Scenario.outcomes_within)."""
    data = {**scenario.model_dump(mode="json"), "horizon_months": months}
    data["outcomes"] = scenario.outcomes_within(data["outcomes"], months)
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


def first_error(err: ValidationError, data: dict) -> ScenarioError:
    issue = err.errors()[0]
    loc = [part for part in issue["loc"] if not _type_tag(part)]
    field = _readable_location(loc, data)
    message = issue["msg"].removeprefix("Value error, ")
    if issue["type"] == "extra_forbidden":
        message = "unknown key; check the spelling against `sim schema` or docs/scenarios.md"
    elif issue["type"] == "string_pattern_mismatch":
        pattern = issue.get("ctx", {}).get("pattern", "")
        wanted = PATTERN_MEANINGS.get(pattern, f"text matching the pattern {pattern}")
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
