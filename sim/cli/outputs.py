"""An optional output folder (`--out` of compare and validate), claimed before the work."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path


def claim_if_given(out: Path | None, force: bool, kind: str, inputs: list[Path]):
    """The claim of `out` for an output of `kind` made from `inputs` (checked and locked now,
    written whole when the block ends), or None when no folder was asked for."""
    if out is None:
        return nullcontext()
    from sim.results.folder import claim_output

    return claim_output(out, force=force, kind=kind, inputs=inputs)
