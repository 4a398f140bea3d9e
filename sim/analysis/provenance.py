"""How a run was made, to make it again: the command, seed, worlds, months, mode of the
assumptions, the scenario's hash and the package version, as a result folder's manifest records
them, or as a run kept in memory has them."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from sim.errors import DISTRIBUTION
from sim.results.dataset import Results
from sim.results.store import read_manifest

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Provenance:
    """One run's record. `folder` is empty for a run in memory, whose `command` runs its
    scenario saved as NAME.yaml (the app's scenario download is such a file)."""

    name: str
    command: str
    seed: int
    worlds: int
    months: int
    assumptions: str
    scenario_hash: str
    version: str
    folder: str = ""


def provenance(res: Results) -> Provenance:
    """The run's record: from its folder's manifest.json, or from the run in memory."""
    common = {
        "name": res.scenario.name,
        "seed": res.seed,
        "worlds": res.worlds,
        "months": res.months,
        "assumptions": res.assumptions,
    }
    if res.folder is None:
        from sim import __version__

        command = (
            f"sim run {res.scenario.name}.yaml --worlds {res.worlds} --seed {res.seed} "
            f"--assumptions {res.assumptions}"
        )
        digest = res.scenario.content_hash()
        return Provenance(command=command, scenario_hash=digest, version=__version__, **common)
    info = read_manifest(Path(res.folder))
    return Provenance(
        command=command_line(info.get("command")),
        scenario_hash=str(info.get("scenario_hash", NOT_RECORDED)),
        version=str((info.get("versions") or {}).get(DISTRIBUTION, NOT_RECORDED)),
        folder=str(res.folder),
        **common,
    )


def command_line(argv) -> str:
    """A recorded sys.argv as the command a user types: `sim ...` (also for `python -m sim`)."""
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return NOT_RECORDED
    program = "sim" if Path(argv[0]).name in ("sim", "__main__.py") else argv[0]
    return shlex.join([program, *argv[1:]])
