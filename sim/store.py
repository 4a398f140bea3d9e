"""Result folders on disk: manifest.json, summary.csv, trajectories/*.parquet and plots/*.png.

A folder is written under a temporary name and renamed into place at the end, so an interrupted
run never leaves a folder that looks complete; an existing folder is replaced only then.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import matplotlib.pyplot as plt

PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pydantic", "pyarrow", "matplotlib")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    from sim import __version__

    out["regional-influence-sim"] = __version__
    return out


def manifest(res) -> dict:
    return {
        "scenario_name": res.scenario.name,
        "scenario_hash": res.scenario.content_hash(),
        "seed": res.seed,
        "worlds": res.worlds,
        "months": res.months,
        "start": res.scenario.start,
        "versions": versions(),
        "timings": res.timings,
        "command": sys.argv,
        "files": {},
        "scenario": res.scenario.model_dump(mode="json"),
    }


def save_results(res, folder) -> Path:
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    try:
        info = manifest(res)
        res.summary().to_csv(work / "summary.csv", index=False, float_format="%.5f")
        (work / "trajectories").mkdir()
        for name in res.arrays:
            res.frame(name).to_parquet(work / "trajectories" / f"{name}.parquet", index=False)
        (work / "plots").mkdir()
        for state in res.labels("state"):
            fig = res.plot_influence(state)
            fig.savefig(work / "plots" / f"influence_{state}.png", dpi=110)
            plt.close(fig)
        fig = res.plot_overview()
        fig.savefig(work / "plots" / "overview.png", dpi=110)
        plt.close(fig)
        info["files"] = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file())
        (work / "manifest.json").write_text(json.dumps(info, indent=2, default=str))
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
            work.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder
