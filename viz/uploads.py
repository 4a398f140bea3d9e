"""A scenario file uploaded in the page: refused above a size limit before it is read, parsed
with the project's safe YAML loader only (no code runs), validated like `sim run` validates a
file, and never kept: it lives in a temporary folder removed as soon as it is read."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import BinaryIO

from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario, read_yaml, shipped_scenarios
from sim.scenario.schema import Scenario

MAX_UPLOAD = 1_000_000  # bytes; the shipped baseline is about 80 kB


def read_upload(name: str, size: int, data: BinaryIO) -> Scenario:
    """The validated scenario in an uploaded file, or ScenarioError naming the file, the field
    and what is allowed. `extends:` may name a shipped scenario."""
    shown = Path(name).name or "upload.yaml"
    if size > MAX_UPLOAD:
        raise ScenarioError(
            "", f"is {size:,} bytes; uploads are limited to {MAX_UPLOAD:,} bytes", shown
        )
    if Path(shown).suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError("", "is not a scenario file; upload a .yaml or .yml file", shown)
    with tempfile.TemporaryDirectory(prefix="sim-upload-") as folder:
        path = Path(folder) / "upload.yaml"
        path.write_bytes(data.read(MAX_UPLOAD + 1)[: MAX_UPLOAD + 1])
        if path.stat().st_size > MAX_UPLOAD:
            raise ScenarioError("", f"is larger than {MAX_UPLOAD:,} bytes", shown)
        try:
            base, shipped = read_yaml(path).get("extends"), shipped_scenarios()
            if base is not None and base not in shipped:
                raise ScenarioError(
                    "extends",
                    f"an upload may extend only a shipped scenario ({', '.join(shipped)}), not "
                    f"{base!r}: the server reads no other file",
                )
            return load_scenario(path)
        except ScenarioError as err:
            raise err.in_file(shown) from None
