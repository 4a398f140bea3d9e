"""What an install carries: every package of the source tree, and the scenario library as data
of sim.scenario (no top-level `scenarios` package)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from sim.scenario.loading import SCENARIO_DIR, shipped_scenarios

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_of_the_tree_is_installed_and_nothing_else():
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("sim", "agents", "viz")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert set(SETUPTOOLS["packages"]) == on_disk | {"sim.scenario.library"}


def test_the_library_is_data_of_sim_scenario_not_a_package_of_its_own(tmp_path):
    assert SETUPTOOLS["package-dir"] == {"sim.scenario.library": "scenarios"}
    assert not (ROOT / "scenarios" / "__init__.py").exists()
    probe = "import importlib.util as u; print(u.find_spec('scenarios') is None)"
    found = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True)
    assert found.stdout.decode().strip() == "True"  # away from the checkout: not importable
    assert SCENARIO_DIR.resolve() == (ROOT / "scenarios").resolve()
    assert "baseline" in shipped_scenarios()
