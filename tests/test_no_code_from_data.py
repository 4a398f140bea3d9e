"""Nothing read from disk or the browser is ever run as code: no eval, exec, pickle, marshal or
shelve anywhere in the shipped packages, and YAML only through the safe loader."""

from __future__ import annotations

import ast

import pytest
import yaml
from commands import ROOT

from sim.scenario.loading import StrictLoader

PACKAGES = ["sim", "agents", "viz", "scenarios"]
SOURCES = sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}
YAML_SAFE = {"safe_load", "safe_dump", "SafeLoader", "YAMLError", "MarkedYAMLError", "constructor"}
YAML_SAFE |= {"AliasEvent", "SequenceNode", "MappingNode"}  # what the strict loader inspects


def test_the_tree_is_scanned():
    assert len(SOURCES) > 50
    assert ROOT / "sim" / "scenario" / "loading.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_code_is_run_from_data(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{where}: {node.func.id}()"
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in FORBIDDEN_MODULES, f"{where}: {alias.name}"
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.module.split(".")[0] not in FORBIDDEN_MODULES, f"{where}: {node.module}"
        if isinstance(node, ast.Attribute) and node.attr == "allow_pickle":
            raise AssertionError(f"{where}: allow_pickle")
        if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
            raise AssertionError(f"{where}: allow_pickle=")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "yaml"
            and node.attr not in YAML_SAFE
        ):
            # yaml.load is allowed only with the strict safe loader, in one place
            assert node.attr == "load" and path.name == "loading.py", f"{where}: yaml.{node.attr}"


def test_the_one_yaml_load_uses_a_safe_loader():
    assert issubclass(StrictLoader, yaml.SafeLoader)
    text = (ROOT / "sim" / "scenario" / "loading.py").read_text()
    calls = [line.strip() for line in text.splitlines() if "yaml.load(" in line]
    assert calls == [
        "data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)"
    ]


def test_a_python_tag_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    text = f'name: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=StrictLoader)  # noqa: S506
    assert not marker.exists()
