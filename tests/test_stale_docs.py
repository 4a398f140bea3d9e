"""Every generated figure, table and screenshot of the documentation was made from the scenarios,
the model and the code as they are now (docs/generated.json, docs/provenance.py): a picture or a
table made before a change fails here, naming the command that regenerates it. The other tests
show that the check can fail: a changed scenario, a changed model, a hand-edited table."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def load_provenance():
    spec = importlib.util.spec_from_file_location("provenance", ROOT / "docs" / "provenance.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("provenance", module)
    spec.loader.exec_module(module)
    return module


provenance = load_provenance()


def test_no_generated_figure_or_table_is_stale():
    problems = provenance.stale()
    assert not problems, "stale documentation:\n" + "\n".join(map(str, problems))


def test_every_generated_file_and_marked_section_is_recorded():
    """An image or a notebook page under docs/ that no generator recorded, or a marked section
    of a Markdown file, has no provenance: it is made by hand or by a script that forgot it."""
    assert provenance.unregistered() == [], "add it to a generator of `make docs`"


def test_every_record_names_a_make_target():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for key, entry in provenance.Registry().entries.items():
        target = entry["command"].removeprefix("make ")
        assert f"\n{target}:" in makefile, (key, entry["command"])
        assert "model" in entry["inputs"], key


# ---- the check can fail -------------------------------------------------------------------------


def copy_of_the_project(tmp_path: Path, copied=("scenarios",)) -> Path:
    """A folder that reads as the project: the folders named copied (to be changed), the others
    linked."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("sim", "agents", "viz", "docs", "notebooks", "scenarios", "README.md"):
        if name in copied:
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(ROOT / name, root / name, ignore=ignore)
        else:
            (root / name).symlink_to(ROOT / name)
    return root


def change_scenario(root: Path, name: str) -> None:
    path = root / "scenarios" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"] = data.get("description", "") + " Changed."
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    provenance.current.cache_clear()


def reasons(root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in provenance.stale(root):
        found.setdefault(problem.key, []).append(str(problem))
    return found


def test_a_changed_scenario_makes_what_was_made_from_it_stale(tmp_path):
    """With termez_closure changed (in a copy), its plots, the library section and the map
    screenshot are reported, each with its command; the other scenarios' plots are not."""
    root = copy_of_the_project(tmp_path)
    change_scenario(root, "termez_closure")
    found = reasons(root)
    changed = "scenario:scenarios/termez_closure.yaml"
    for key, command in [
        ("docs/img/library/termez_closure.png", "make library"),
        ("docs/img/library/termez_closure_outcomes.png", "make library"),
        ("docs/scenarios.md#library", "make library"),
        ("docs/img/app/map.png", "make screenshots"),
    ]:
        named = [r for r in found.get(key, []) if changed in r]
        assert named, f"{key} is not reported stale after {changed} changed"
        assert f"regenerate it with `{command}` (or everything with `make docs`)" in named[0]
    for key in ("docs/img/library/us_reengagement.png", "docs/img/app/compare.png"):
        assert not [r for r in found.get(key, []) if changed in r], key


def test_a_changed_model_makes_everything_stale_and_docs_do_not(tmp_path):
    root = copy_of_the_project(tmp_path, copied=("sim", "agents", "docs"))
    model = provenance.current("model", root)
    (root / "docs" / "architecture.md").write_text("edited\n", encoding="utf-8")  # no table
    (root / "sim" / "cli" / "run.py").write_text("# the command line is not the model\n")
    provenance.current.cache_clear()
    assert provenance.current("model", root) == model
    with open(root / "agents" / "power.py", "a", encoding="utf-8") as source:
        source.write("\n# a change of the model\n")
    provenance.current.cache_clear()
    assert provenance.current("model", root) != model
    found = reasons(root)
    recorded = provenance.Registry(root).entries
    assert recorded and set(found) >= set(recorded)
    assert all(re.search(r"made from [^;]*\bmodel\b", found[key][0]) for key in recorded)


def test_a_hand_edited_table_is_reported(tmp_path):
    root = copy_of_the_project(tmp_path, copied=("docs",))
    doc = root / "docs" / "validation.md"
    text = doc.read_text(encoding="utf-8")
    begin, _ = provenance.markers("backtest")
    doc.write_text(text.replace(begin, begin + "\nA number typed by hand: 0.42.\n"))
    found = reasons(root)
    assert any("edited since it was generated" in r for r in found["docs/validation.md#backtest"])
    assert "make validation" in found["docs/validation.md#backtest"][0]


def small_project(tmp_path: Path) -> Path:
    """A project with one scenario, one generated image and one generated section."""
    root = tmp_path / "small"
    for name in ("sim", "agents"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(ROOT / name)
    (root / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline.yaml", root / "scenarios" / "baseline.yaml")
    (root / "docs" / "img").mkdir(parents=True)
    (root / "docs" / "img" / "plot.png").write_bytes(b"\x89PNG not really")
    (root / "docs" / "page.md").write_text("# A page\n\n<!-- table:begin -->\n<!-- table:end -->\n")
    return root


def test_a_record_is_fresh_until_its_scenario_changes(tmp_path):
    root = small_project(tmp_path)
    provenance.replace_section(root / "docs" / "page.md", "table", "| a | 1 |")
    used = provenance.inputs("scenario:scenarios/baseline.yaml", root=root)
    made = {"docs/img/plot.png": used, "docs/page.md#table": used}
    provenance.Registry(root).record("make small", made)
    assert provenance.stale(root) == []
    assert provenance.unregistered(root) == []
    assert provenance.up_to_date("make small", made, root)
    change_scenario(root, "baseline")
    assert not provenance.up_to_date("make small", made, root)
    assert sorted(p.key for p in provenance.stale(root)) == sorted(made)
    assert all("`make small`" in str(p) for p in provenance.stale(root))


def test_a_draft_and_a_missing_file_are_stale(tmp_path):
    root = small_project(tmp_path)
    used = provenance.inputs(root=root)
    provenance.Registry(root).record("make small", {"docs/img/plot.png": used}, draft=True)
    assert "a draft" in provenance.stale(root)[0].reason
    (root / "docs" / "img" / "plot.png").unlink()
    assert provenance.stale(root)[0].reason == "it is missing"


def test_an_image_without_a_record_is_found(tmp_path):
    root = small_project(tmp_path)
    assert set(provenance.unregistered(root)) == {"docs/img/plot.png", "docs/page.md#table"}


def test_a_regenerated_record_drops_what_the_generator_no_longer_makes(tmp_path):
    root = small_project(tmp_path)
    used = provenance.inputs(root=root)
    registry = provenance.Registry(root)
    registry.record("make small", {"docs/img/plot.png": used, "docs/page.md#table": used})
    assert registry.record("make small", {"docs/page.md#table": used}) == ["docs/img/plot.png"]
    assert not (root / "docs" / "img" / "plot.png").exists()


def test_saved_plots_are_byte_stable(tmp_path):
    """Saved twice, a figure gives the same bytes, with no software version in them."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2))
    figure.subplots().plot([0, 1, 2], [1, 0, 2])
    one = provenance.save_png(figure, tmp_path / "one.png", dpi=50).read_bytes()
    two = provenance.save_png(figure, tmp_path / "two.png", dpi=50).read_bytes()
    assert one == two
    assert b"Software" not in one and b"matplotlib" not in one.lower()


@pytest.mark.parametrize("script", sorted((ROOT / "docs").glob("make_*.py")), ids=lambda p: p.stem)
def test_every_generator_is_in_make_docs(script):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f"docs/{script.name}" in makefile
