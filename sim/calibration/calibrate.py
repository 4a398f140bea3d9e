"""`sim calibrate`: fit the few free trade parameters to the calibration targets.

The free parameters (the `calibrate:` list of the targets file, by scenario path and bounds) are
fitted with scipy.optimize.least_squares to the `free` targets: residuals are (simulated median -
target) / tolerance, every evaluation on the same worlds and seed (common random numbers), so the
objective is a smooth, deterministic function of the parameters. The result is written as a
scenario overlay (`extends:` the scenario) whose fitted values say where they came from.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import least_squares

from sim.batch.runner import run
from sim.calibration.targets import Targets
from sim.calibration.validate import cut_to_targets, target_values
from sim.core.assumptions import FIXED
from sim.errors import ResultError, ScenarioError
from sim.results.folder import check_not_an_input
from sim.scenario.loading import parse_scenario
from sim.scenario.paths import child, get_path, resolve, set_path
from sim.scenario.schema import Scenario


@dataclass
class Fit:
    paths: list[str]
    start: np.ndarray
    fitted: np.ndarray
    residuals_start: np.ndarray  # (simulated median - target) / tolerance, free targets
    residuals_fitted: np.ndarray
    target_names: list[str]
    evaluations: int


def calibrate(
    scenario: Scenario, targets: Targets, worlds: int | None = None, seed: int | None = None
) -> Fit:
    """Least squares on the simulated medians of the free targets over the free parameters."""
    if not targets.calibrate:
        raise ScenarioError("calibrate", "the targets file declares no parameters to fit")
    seed = targets.seed if seed is None else seed
    worlds = worlds or targets.worlds
    free = [t for t in targets.targets if t.free]
    data = cut_to_targets(scenario, targets).model_dump(mode="json")
    paths = [c.path for c in targets.calibrate]
    low = np.array([c.low for c in targets.calibrate])
    high = np.array([c.high for c in targets.calibrate])
    start = np.clip([float(get_path(data, path)) for path in paths], low, high)

    def residuals(x: np.ndarray) -> np.ndarray:
        trial = copy.deepcopy(data)
        for path, value in zip(paths, x, strict=True):
            set_path(trial, path, float(value))
        # fitted with every assumption as written: the fit sets written values, and the
        # dice alone stand between a trial and its targets
        res = run(parse_scenario(trial), worlds=worlds, seed=seed, assumptions=FIXED)
        return np.array(
            [(np.median(target_values(res, t)) - t.value) / max(t.tolerance, 1e-9) for t in free]
        )

    first = residuals(start)
    fit = least_squares(residuals, start, bounds=(low, high), diff_step=1e-3, xtol=1e-4)
    return Fit(paths, start, fit.x, first, fit.fun, [t.name for t in free], fit.nfev)


def calibration_overlay(scenario: Scenario, fit: Fit, base: str, note: str) -> dict:
    """A scenario overlay that sets the fitted values and names their source."""
    data = scenario.model_dump(mode="json")
    out: dict = {"extends": base, "name": f"{scenario.name}_calibrated"}
    source = f"calibrated: to {note}"
    for path, value in zip(fit.paths, fit.fitted, strict=True):
        set_path(data, path, round(float(value), 6))
        node, field = resolve(data, path)
        if field == "value":
            node["source"] = source
        else:  # a plain number inside an item: the item's source records the fit
            node["source"] = f"{node['source'].split('; ' + field)[0]}; {field} {source}"
        top, key = path.split(".")[:2]
        section = data[top]
        if isinstance(section, list):
            item = child(section, key, path)
            items = out.setdefault(top, [])
            if item not in items:
                items.append(item)
        else:
            out[top] = section
    return out


OVERLAY_HEADER = "# Written by `sim calibrate`"


def save_calibration(
    fit: Fit, scenario: Scenario, base: Path, targets_file: Path, worlds: int, out: Path
) -> None:
    """Write the fit as an overlay file `out` that extends the scenario file `base`."""
    note = f"{targets_file.name} by sim calibrate ({worlds} worlds, {fit.evaluations} runs)"
    relative = os.path.relpath(base.resolve(), out.resolve().parent)
    write_overlay(
        out,
        calibration_overlay(scenario, fit, relative, note),
        f"Written by `sim calibrate`: the free parameters of {targets_file.name} fitted to its "
        f"targets.\nRun it with `sim run {out}`; check it with "
        f"`sim validate --scenario {out}`.",
        inputs=[base, targets_file],
    )


def check_overlay_path(path: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse, before any fitting, an overlay path that is one of the command's `inputs` (its
    targets and scenario files: sim.results.folder.check_not_an_input), cannot be written or
    is held by something sim calibrate did not write."""
    check_not_an_input(path, inputs, "calibration")
    if path.is_dir():
        raise ResultError(path, "is a folder; --out names the overlay file to write, e.g. "
                          "out/calibrated.yaml")  # fmt: skip
    if path.exists() and not (path.is_file() and _written_by_calibrate(path)):
        raise ResultError(path, "exists and was not written by sim calibrate; choose another --out")
    folder = path.parent  # created if missing: its nearest existing folder must be writable
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ResultError(path, f"{folder} is a file, not a folder")
    if not os.access(folder, os.W_OK):
        raise ResultError(path, f"the folder {folder} cannot be written (permission denied)")


def _written_by_calibrate(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read(len(OVERLAY_HEADER)) == OVERLAY_HEADER


def write_overlay(path: Path, content: dict, header: str, inputs: Iterable[Path] = ()) -> None:
    """Write the overlay YAML with a comment header, atomically (no half-written file, and no
    partial file left if writing fails). A file in the way is replaced only if `sim calibrate`
    wrote it, and never one of `inputs`."""
    check_overlay_path(path, inputs)
    text = yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=100)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text("".join(f"# {line}\n" for line in header.splitlines()) + text)
        tmp.replace(path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise ResultError(path, f"cannot be written ({err.strerror})") from None
