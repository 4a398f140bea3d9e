"""What every benchmark script does with its figures besides printing them."""

from __future__ import annotations

import json
from pathlib import Path


def write_figures(path: Path | None, figures: dict) -> None:
    """Write the figures to `path` as JSON (nothing if no path was given)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2))
    print(f"figures written to {path}")
