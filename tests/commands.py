"""Running the command line as a user does, for the tests: `python -m sim ...` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def sim(*args, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m sim ARGS` in `cwd`, capturing its text output."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
