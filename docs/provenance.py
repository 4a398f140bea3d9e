"""Where each generated figure, table and screenshot of the documentation came from.

docs/generated.json maps every generated artefact, a file (`docs/img/validation.png`) or a
section of a Markdown file between its markers (`docs/validation.md#validation`, the text
between `<!-- validation:begin -->` and `<!-- validation:end -->`), to

    inputs   the hash of everything it was made from: `model` (the code that computes a world,
             MODEL below), `code:PATH` (the code that turned the model's output into the
             artefact: its generator, the analysis or the app), `scenario:PATH` (a scenario's
             content hash, as a result folder's manifest records it: comments and layout of
             the YAML do not count, every value and text does) and `file:PATH` (data files);
    sha256   the hash of the artefact as written (a file's bytes, a section's text);
    command  the make target that regenerates it (`make docs` regenerates all);
    draft    present (true) only when it was made with smaller settings than the documented.

`stale()` recomputes every input and names each artefact whose inputs or bytes differ, with
its command; tests/test_stale_docs.py fails on any. The generators (docs/make_*.py) record
their artefacts with `Registry.record` and skip their work when `up_to_date` says nothing
they would read has changed, so `make docs` leaves the tree as it is when nothing changed:
screenshots and the notebooks' HTML are not byte-stable (the browser, widget ids), so they are
compared by provenance, never by bytes.

The model hash is the source of the layers from `sim.model` down (docs/architecture.md):
sim/model.py, agents/, sim/core/ and sim/scenario/, which compute a world from a scenario. It
changes with any edit of those files, comments and docstrings included (simple, and the same
on every Python), and with nothing else: not with the documentation, the command line, or the
code that summarises and draws results, which each artefact records as its own `code:` inputs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = "docs/generated.json"
MODEL = ("sim/model.py", "agents", "sim/core", "sim/scenario")
EVERYTHING = "make docs"
# where generated artefacts live: each file there must be registered
GENERATED_FOLDERS = ("docs/img", "docs/notebooks")
MARKER = re.compile(r"^<!-- ([a-z_]+):begin -->$", re.MULTILINE)


# ---- hashes ------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def source_hash(root: Path, *paths: str) -> str:
    """One SHA-256 over the Python files of `paths` (files or folders, relative to `root`):
    each file's path and bytes, in path order."""
    digest = hashlib.sha256()
    files = []
    for path in paths:
        where = root / path
        files += [where] if where.is_file() else sorted(where.rglob("*.py"))
    for file in sorted(files):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


@cache
def current(name: str, root: Path = ROOT) -> str:
    """The present hash of one input (`model`, `code:PATH`, `scenario:PATH` or `file:PATH`)."""
    kind, _, path = name.partition(":")
    if kind == "model":
        return source_hash(root, *MODEL)
    if kind == "code":
        return source_hash(root, path)
    if kind == "file":
        return file_hash(root / path)
    if kind == "scenario":
        from sim.scenario.loading import load_scenario

        return load_scenario(root / path).content_hash()[:16]
    raise ValueError(f"unknown kind of input {name!r}")


def file_hash(path: Path) -> str:
    return sha256(path.read_bytes()) if path.is_file() else "missing"


def inputs(*names: str, root: Path = ROOT) -> dict[str, str]:
    """The inputs named (with `model` always), each with its present hash, sorted."""
    return {name: current(name, root) for name in sorted({"model", *names})}


def scenario_input(path: str | Path, root: Path = ROOT) -> str:
    """The input name of a scenario file: `scenario:scenarios/baseline.yaml`."""
    path = Path(path)
    return "scenario:" + (path.relative_to(root) if path.is_absolute() else path).as_posix()


def library(root: Path = ROOT) -> list[str]:
    """The input names of every scenario of the library (scenarios/*.yaml)."""
    return [scenario_input(p, root) for p in sorted((root / "scenarios").glob("*.yaml"))]


# ---- sections of Markdown files -----------------------------------------------------------------


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def section(text: str, name: str) -> str:
    """The text between a section's markers (without them)."""
    begin, end = markers(name)
    start = text.index(begin) + len(begin)
    return text[start : text.index(end, start)]


def replace_section(path: Path, name: str, body: str) -> None:
    """Write `body` between the section's markers in `path`, which must hold them."""
    text = path.read_text(encoding="utf-8")
    begin, end = markers(name)
    if begin not in text or end not in text:
        raise ValueError(f"{path}: no section {name!r} ({begin} ... {end})")
    start, stop = text.index(begin) + len(begin), text.index(end)
    new = text[:start] + "\n" + body.strip("\n") + "\n" + text[stop:]
    if new != text:
        path.write_text(new, encoding="utf-8")


def artefact_hash(key: str, root: Path = ROOT) -> str:
    """The hash of an artefact as it is now: a file's bytes, or the text of a section
    (`FILE#NAME`); "missing" if there is none."""
    file, _, name = key.partition("#")
    path = root / file
    if not name:
        return file_hash(path)
    if not path.is_file():
        return "missing"
    try:
        return sha256(section(path.read_text(encoding="utf-8"), name).encode())
    except ValueError:
        return "missing"


# ---- the registry ------------------------------------------------------------------------------


class Registry:
    """docs/generated.json: read, updated by one generator's command, written sorted."""

    def __init__(self, root: Path = ROOT):
        self.root = root
        self.path = root / REGISTRY
        self.entries: dict[str, dict] = (
            json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
        )

    def of(self, command: str) -> dict[str, dict]:
        return {k: e for k, e in self.entries.items() if e["command"] == command}

    def record(self, command: str, made: dict[str, dict[str, str]], draft: bool = False,
               replace: bool = True) -> list[str]:  # fmt: skip
        """Record the artefacts `made` (key: inputs) by `command` with their present hashes;
        with `replace`, the command's earlier entries not made again are dropped and their
        files deleted. Returns the keys dropped."""
        dropped = [k for k in self.of(command) if k not in made] if replace else []
        for key in dropped:
            del self.entries[key]
            if "#" not in key and (self.root / key).is_file():
                (self.root / key).unlink()
        for key, used in made.items():
            entry = {"command": command, "inputs": dict(sorted(used.items()))}
            entry["sha256"] = artefact_hash(key, self.root)
            if draft:
                entry["draft"] = True
            self.entries[key] = entry
        self.save()
        return dropped

    def save(self) -> None:
        text = json.dumps(dict(sorted(self.entries.items())), indent=2) + "\n"
        if not self.path.is_file() or self.path.read_text(encoding="utf-8") != text:
            self.path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Stale:
    """One generated artefact that no longer matches what it was made from."""

    key: str
    reason: str
    command: str

    def __str__(self) -> str:
        also = "" if self.command == EVERYTHING else f" (or everything with `{EVERYTHING}`)"
        return f"{self.key}: {self.reason}; regenerate it with `{self.command}`{also}"


def check(key: str, entry: dict, root: Path = ROOT) -> list[str]:
    """Why one registered artefact is stale (nothing if it is not)."""
    found = artefact_hash(key, root)
    if found == "missing":
        return ["it is missing"]
    reasons = []
    changed = [n for n, h in entry["inputs"].items() if current(n, root) != h]
    if changed:
        reasons.append("made from " + ", ".join(changed) + " as it was, which has changed since")
    if found != entry["sha256"]:
        reasons.append("edited since it was generated (its hash differs from the record)")
    if entry.get("draft"):
        reasons.append("a draft made with smaller settings than the documented ones")
    return reasons


def stale(root: Path = ROOT, command: str | None = None) -> list[Stale]:
    """Every registered artefact (of `command`, or all) whose inputs changed since it was made,
    that was edited since, is missing, or is a draft."""
    registry = Registry(root)
    found = []
    for key, entry in registry.entries.items():
        if command is None or entry["command"] == command:
            if reasons := check(key, entry, root):
                found.append(Stale(key, "; ".join(reasons), entry["command"]))
    return found


def unregistered(root: Path = ROOT) -> list[str]:
    """Generated-looking things with no record: files under GENERATED_FOLDERS, and marked
    sections of the README and docs/*.md."""
    registry = Registry(root)
    found = [
        path.relative_to(root).as_posix()
        for folder in GENERATED_FOLDERS
        for path in sorted((root / folder).rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() not in registry.entries
    ]
    docs = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for doc in [d for d in docs if d.is_file()]:
        for name in MARKER.findall(doc.read_text(encoding="utf-8")):
            key = f"{doc.relative_to(root).as_posix()}#{name}"
            if key not in registry.entries:
                found.append(key)
    return found


def fresh(key: str, used: dict[str, str], root: Path = ROOT) -> bool:
    """Whether one artefact is recorded with exactly the inputs `used` and is not stale."""
    entry = Registry(root).entries.get(key)
    return entry is not None and entry["inputs"] == used and not check(key, entry, root)


def up_to_date(command: str, required: dict[str, dict[str, str]], root: Path = ROOT) -> bool:
    """Whether a generator may skip its work: every artefact it recorded is fresh, and each key
    of `required` is recorded with exactly those inputs (a new scenario or data file is then
    a reason to run)."""
    registry = Registry(root)
    if not registry.of(command) or stale(root, command):
        return False
    return all(
        key in registry.entries and registry.entries[key]["inputs"] == used
        for key, used in required.items()
    )


def save_png(figure, path: Path, dpi: int) -> Path:
    """Save a matplotlib figure as a PNG whose bytes depend on the figure only (no software
    version or date in its metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi, metadata={"Software": None})
    return path
