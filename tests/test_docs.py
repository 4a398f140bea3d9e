"""The documentation is checked against the code: every scenario field is documented in its
section, every YAML example loads (or fails exactly as documented), every lever is named, the
process schedule in docs/model.md follows `RegionalInfluenceModel.step`, and the Python examples
of the README and the docs compile."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml
from commands import sim as run_sim
from pydantic import BaseModel

import sim.scenario.schema as scenario_module
from sim.errors import ScenarioError
from sim.model import RegionalInfluenceModel
from sim.scenario.explain import parameter_rows
from sim.scenario.loading import load_scenario, parse_scenario, resolve_path, scenario_data
from sim.scenario.paths import get_path, merge_overlay
from sim.scenario.schema import Scenario
from sim.scenario.vocab import COMMODITIES, EVENT_NEEDS, EVENT_TYPES, INSTRUMENTS, SOURCE_KINDS

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_MD = ROOT / "docs" / "scenarios.md"
MODEL_MD = ROOT / "docs" / "model.md"
README = ROOT / "README.md"
BASELINE = ROOT / "scenarios" / "baseline.yaml"

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^(#+) (.*)$", re.MULTILINE)
REJECTED = "# rejected"


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def blocks(path: Path, language: str) -> list[str]:
    """Bodies of the fenced code blocks of one language, in document order."""
    return [body for lang, body in FENCE.findall(text(path)) if lang == language]


def section(doc: str, title_part: str, exact: bool = False) -> str:
    """The text under the first heading that contains `title_part` (or equals it), up to the
    next heading of the same or a higher level."""
    headings = list(HEADING.finditer(doc))
    for i, match in enumerate(headings):
        title = match.group(2).strip()
        if title == title_part or (not exact and title_part in title):
            level = len(match.group(1))
            end = len(doc)
            for later in headings[i + 1 :]:
                if len(later.group(1)) <= level:
                    end = later.start()
                    break
            return doc[match.end() : end]
    raise AssertionError(f"no heading containing {title_part!r}")


def backticked(name: str, doc: str) -> bool:
    """Whether `name` appears in backticks, alone or as the last segment of a dotted path."""
    return re.search(rf"`(?:[\w\-]+\.)*{re.escape(name)}`", doc) is not None


def scenario_models() -> list[type[BaseModel]]:
    """Every pydantic model with fields that sim/scenario/schema.py defines and a file may
    hold: a base such as Factor appears in files only as its subclasses (Lever, Uncertainty)."""
    return [
        obj
        for obj in vars(scenario_module).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == scenario_module.__name__
        and obj.model_fields
        and not obj.__subclasses__()
    ]


def schema_fields() -> list[tuple[str, str]]:
    """(model, field) for every property of the JSON Schema, top level and definitions."""
    schema = Scenario.model_json_schema()
    pairs = [("Scenario", name) for name in schema["properties"]]
    for model, definition in schema.get("$defs", {}).items():
        pairs += [(model, name) for name in definition.get("properties", {})]
    return pairs


# ---- every field is documented -----------------------------------------------------------


@pytest.mark.parametrize(("model", "field"), schema_fields())
def test_every_schema_field_is_in_scenarios_md(model, field):
    assert f"`{field}`" in text(SCENARIOS_MD), f"{model}.{field} is not documented"


@pytest.mark.parametrize("model", scenario_models(), ids=lambda m: m.__name__)
def test_each_model_has_a_section_listing_its_fields(model):
    body = section(text(SCENARIOS_MD), f"`{model.__name__}`")
    missing = [name for name in model.model_fields if f"`{name}`" not in body]
    assert not missing, f"section of {model.__name__} lacks {missing}"


def test_the_schema_walk_finds_every_model():
    """The two ways of listing fields agree, so neither test above checks too little."""
    from_schema = {model for model, _ in schema_fields()}
    assert from_schema == {m.__name__ for m in scenario_models()}


def test_allowed_words_are_documented():
    doc = text(SCENARIOS_MD)
    shock_names = scenario_module.ShockType.model_fields["name"].annotation.__args__
    words = [*COMMODITIES, *INSTRUMENTS, *EVENT_TYPES, *shock_names, "power", "host", "neighbor"]
    assert [w for w in words if f"`{w}`" not in doc] == []
    assert [k for k in SOURCE_KINDS if f"`{k}:`" not in doc] == []


@pytest.mark.parametrize(("doc", "title"), [(SCENARIOS_MD, "`Event`"), (MODEL_MD, "3.3.10")])
def test_event_tables_name_what_each_type_needs(doc, title):
    body = section(text(doc), title)
    for event_type in EVENT_TYPES:
        rows = [line for line in body.splitlines() if line.startswith(f"| `{event_type}` |")]
        assert len(rows) == 1, f"{doc.name}: no single table row for event type {event_type}"
        needs = set(re.findall(r"`(\w+)`", rows[0].split("|")[2]))
        assert needs == set(EVENT_NEEDS[event_type]), f"{doc.name}: {event_type} needs {needs}"


# ---- YAML examples -----------------------------------------------------------------------


def yaml_examples() -> list[str]:
    return blocks(SCENARIOS_MD, "yaml")


def required_top_level() -> set[str]:
    return {name for name, info in Scenario.model_fields.items() if info.is_required()}


def kind_of(example: str) -> str:
    data = yaml.safe_load(example)
    if example.lstrip().startswith(REJECTED):
        return "rejected"
    if "extends" in data:
        return "overlay"
    if required_top_level() <= set(data):
        return "complete"
    return "fragment"


def write_example(example: str, folder: Path) -> Path:
    name = yaml.safe_load(example).get("name", "example")
    path = folder / f"{name}.yaml"
    path.write_text(example, encoding="utf-8")
    return path


def test_docs_hold_an_overlay_a_complete_scenario_and_a_rejected_file():
    kinds = [kind_of(example) for example in yaml_examples()]
    assert kinds.count("overlay") >= 2
    assert kinds.count("complete") >= 1
    assert kinds.count("rejected") >= 1


@pytest.mark.parametrize("number", range(len(yaml_examples())))
def test_yaml_example_is_valid(number, tmp_path):
    """Overlays and complete files load from disk as a user would save them; fragments of a
    scenario (a section, list items) are overlaid on the baseline and validated."""
    example = yaml_examples()[number]
    kind = kind_of(example)
    if kind == "rejected":
        pytest.skip("checked by test_rejected_example_fails_as_documented")
    if kind in ("overlay", "complete"):
        load_scenario(write_example(example, tmp_path))
    else:
        base = scenario_data(resolve_path("baseline"))
        parse_scenario(merge_overlay(base, yaml.safe_load(example)))


def test_complete_example_runs(tmp_path):
    from sim.batch.runner import run

    complete = [e for e in yaml_examples() if kind_of(e) == "complete"]
    res = run(load_scenario(write_example(complete[0], tmp_path)), worlds=2, seed=1, months=3)
    assert res.dataset["influence"].shape[:2] == (3, 2)


def test_rejected_example_fails_as_documented(tmp_path):
    doc = text(SCENARIOS_MD)
    rejected = [e for e in yaml_examples() if kind_of(e) == "rejected"]
    for example in rejected:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(write_example(example, tmp_path))
        shown = f"field '{caught.value.field}': {caught.value.message}"
        assert shown in doc, f"the documented message is out of date; the code says: {shown}"


def test_documented_paths_resolve_in_the_baseline():
    data = load_scenario(BASELINE).model_dump(mode="json")
    tops = set(Scenario.model_fields)
    bodies = [section(text(SCENARIOS_MD), "Paths"), section(text(MODEL_MD), "5.12 Levers")]
    paths = {
        token
        for body in bodies
        for token in re.findall(r"`([a-z_]+\.[A-Za-z0-9_.\-]+)`", body)
        if token.split(".")[0] in tops
    }
    assert len(paths) >= 10
    for path in sorted(paths):
        assert isinstance(get_path(data, path), int | float), path


# ---- levers, parameters and schedule in docs/model.md ----------------------------------------


def test_every_baseline_lever_is_documented():
    names = [lever["name"] for lever in yaml.safe_load(text(BASELINE))["levers"]]
    assert names
    docs = text(MODEL_MD) + text(SCENARIOS_MD)
    assert [name for name in names if f"`{name}`" not in docs] == []


def test_model_md_names_every_sourced_parameter():
    """Every field that holds a Quantity (a number with unit and source) appears in model.md."""
    schema = Scenario.model_json_schema()
    doc = text(MODEL_MD)
    missing = []
    for model, definition in schema["$defs"].items():
        for name, prop in definition.get("properties", {}).items():
            refs = [prop.get("$ref", "")] + [p.get("$ref", "") for p in prop.get("anyOf", [])]
            if any(ref.endswith("/Quantity") for ref in refs) and not backticked(name, doc):
                missing.append(f"{model}.{name}")
    assert missing == []


def test_model_md_schedule_follows_step():
    """The stages in section 1.3 are listed in the order `step()` calls them."""
    calls = [
        "recover_crossings",
        "apply_scheduled",
        "observe",
        "decide_powers",
        "decide_host",
        "decide_neighbors",
        "trade_stage",
        "grow_networks",
        "draw_shocks",
        "apply_effects",
        "update_influence",
        "record",
    ]
    source = inspect.getsource(RegionalInfluenceModel.step)
    in_code = [source.find(f"{name}(") for name in calls]
    assert -1 not in in_code, dict(zip(calls, in_code, strict=True))
    assert in_code == sorted(in_code), "calls moved in step(); update this list and model.md"
    schedule = section(text(MODEL_MD), "1.3").split("**What each stage reads.**")[0]
    in_doc = []
    for name in calls:
        found = re.search(rf"`(?:\w+\.)?{name}`", schedule)
        assert found, f"model.md section 1.3 does not name {name}"
        in_doc.append(found.start())
    assert in_doc == sorted(in_doc), "model.md section 1.3 lists the stages out of order"


# ---- the parameter tables of docs/model.md match the baseline -----------------------------

# (heading, exact heading?, path of a row: "{key}" is the row's first cell)
WIDE_TABLES = [
    ("Powers", True, "actors.{key}"),
    ("Host and neighbours", True, "actors.{key}"),
    ("Priorities (unit: weight)", True, "actors.{key}.priorities"),
    ("5.3 Relations", True, "relations.{key}"),
    ("5.4 Commodities", True, "commodities.{key}"),
    ("5.6 Crossings", True, "crossings.{key}"),
    ("5.7 Threat networks", True, "networks.{key}"),
    ("5.8 Shocks", True, "shocks.{key}"),
    ("5.9 Migration corridors", True, "migration.{key}"),
]


def table_rows(body: str) -> list[list[list[str]]]:
    """The Markdown tables of a section, each a list of rows of stripped cells (with the
    header row first and the separator row dropped)."""
    tables, current = [], []
    for line in body.splitlines() + [""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def same(documented: str, actual) -> bool:
    """A documented cell (its first word; units and notes after it) against the baseline."""
    word = documented.replace("\u2212", "-").split(" ")[0].strip("`")
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        return abs(float(word) - float(actual)) <= 1e-9 * max(1.0, abs(float(actual)))
    return word == str(actual)


def baseline_data() -> dict:
    return load_scenario(BASELINE).model_dump(mode="json")


@pytest.mark.parametrize(("title", "exact", "prefix"), WIDE_TABLES, ids=[t[0] for t in WIDE_TABLES])
def test_model_md_parameter_table_matches_baseline(title, exact, prefix):
    data, checked, wrong = baseline_data(), 0, []
    for table in table_rows(section(text(MODEL_MD), title, exact=exact)):
        header = [re.match(r"`(\w+)`", cell) for cell in table[0]]
        for row in table[1:]:
            if row[0] == "unit":
                continue
            for column, match in enumerate(header):
                if match is None:
                    continue
                path = prefix.format(key=row[0]) + "." + match.group(1)
                checked += 1
                if not same(row[column], get_path(data, path)):
                    wrong.append(f"{path}: documented {row[column]!r}")
    assert checked >= 8
    assert wrong == [], "regenerate section 5 of docs/model.md from `sim explain baseline`"


def test_model_md_trade_table_matches_baseline():
    data, rows = baseline_data(), 0
    for table in table_rows(section(text(MODEL_MD), "5.5 Trade flows")):
        assert table[0][:3] == ["exporter", "importer", "commodity"]
        for row in table[1:]:
            flow = "trade." + "-".join(row[:3])
            assert same(row[3], get_path(data, flow)), flow
            assert same(row[4], get_path(data, flow + ".trend")), flow + ".trend"
            route = get_path(data, flow + ".route")
            assert row[5] == (route or "-"), flow + ".route"
            rows += 1
    host = [a["code"] for a in data["actors"] if a["role"] == "host"][0]
    assert rows == sum(host in (f["exporter"], f["importer"]) for f in data["trade"])


def test_model_md_dynamics_and_levers_match_baseline():
    data = baseline_data()
    scenario = load_scenario(BASELINE)
    rows = table_rows(section(text(MODEL_MD), "5.10 Influence weights and dynamics"))[0][1:]
    assert {row[0].strip("`") for row in rows} == {
        f"{part}.{name}"
        for part in ("influence", "dynamics")
        for name in type(getattr(scenario, part)).model_fields
    }
    for row in rows:
        assert same(row[1], get_path(data, row[0].strip("`"))), row[0]
    levers = table_rows(section(text(MODEL_MD), "5.12 Levers"))[0][1:]
    values = scenario.lever_values()
    assert [row[0].strip("`") for row in levers] == [lever.name for lever in scenario.levers]
    for row in levers:
        lever = scenario.lever(row[0].strip("`"))
        assert row[1].strip("`") == lever.path
        expected = (lever.low, lever.high, lever.step, values[lever.name])
        for cell, actual in zip(row[2:6], expected, strict=True):
            assert same(cell, actual), lever.name


# ---- Python examples ---------------------------------------------------------------------


ANALYSIS_MD = ROOT / "docs" / "analysis.md"


@pytest.mark.parametrize("doc", [README, SCENARIOS_MD, MODEL_MD, ANALYSIS_MD], ids=lambda p: p.name)
def test_python_blocks_compile(doc):
    for number, body in enumerate(blocks(doc, "python")):
        compile(body, f"{doc.name}[python block {number}]", "exec")


def test_readme_has_a_python_example():
    assert blocks(README, "python")


RESULTS_MD = ROOT / "docs" / "results.md"


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory):
    """A folder laid out as a user's after `make demo` (small): scenarios/ and out/baseline/."""
    folder = tmp_path_factory.mktemp("user")
    (folder / "scenarios").symlink_to(ROOT / "scenarios")
    (folder / "out").mkdir()
    small = ["--worlds", "12", "--months", "24", "--no-progress"]
    done = run_sim("run", "scenarios/baseline.yaml", *small, "--out", "out/baseline", cwd=folder)
    assert done.returncode == 0, done.stderr
    done = run_sim("export", "out/baseline", "--format", "parquet", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("doc", [README, RESULTS_MD], ids=lambda p: p.name)
def test_python_examples_run_as_documented(doc, user_folder, monkeypatch):
    """Every Python block of the README and docs/results.md runs in a user's folder (with fewer
    worlds and months than documented, and the last month of that shorter run)."""
    monkeypatch.chdir(user_folder)
    for number, body in enumerate(blocks(doc, "python")):
        body = body.replace("worlds=500", "worlds=12").replace("month = 131", "month = 23")
        body = body.replace("worlds=400", "worlds=100")
        exec(compile(body, f"{doc.name}[python block {number}]", "exec"), {})


def test_library_section_covers_every_shipped_scenario():
    """docs/scenarios.md's library section (written by `make library`) has every scenario of
    scenarios/, and every image it shows exists: adding a scenario means regenerating it."""
    doc = text(SCENARIOS_MD)
    section = doc[doc.index("<!-- library:begin -->") : doc.index("<!-- library:end -->")]
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert f"`scenarios/{path.name}`" in section, f"{path.name}: run `make library`"
    images = re.findall(r"\]\((img/library/[^)]+)\)", section)
    assert len(images) >= len(list((ROOT / "scenarios").glob("*.yaml"))) - 1
    for image in images:
        assert (ROOT / "docs" / image).is_file(), image


def test_analysis_md_first_example_runs(user_folder, monkeypatch):
    """docs/analysis.md's opening example runs as written, with fewer worlds and points."""
    monkeypatch.chdir(user_folder)
    body = blocks(ANALYSIS_MD, "python")[0]
    # (enough worlds for the noise floor and a box, fewer than written)
    for written, small in (("worlds=300", "worlds=100"), ("worlds=400", "worlds=8")):
        assert written in body
        body = body.replace(written, small)
    exec(compile(body.replace('"out/three"', '"out/analysis_three"'), "analysis.md", "exec"), {})


BATCHES_MD = ROOT / "docs" / "batches.md"


def test_batches_md_python_block_runs_on_a_batch(user_folder, monkeypatch):
    """docs/batches.md's reading example runs on a batch of the scenarios it names."""
    files = ["baseline", "us_reengagement", "china_economic_sweep"]
    paths = [f"scenarios/{name}.yaml" for name in files]
    done = run_sim(
        "batch", *paths, "--worlds", "6", "--workers", "1", "--no-progress", "--out",
        "out/batch", cwd=user_folder,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "us_reengagement - baseline" in done.stdout
    monkeypatch.chdir(user_folder)
    (body,) = blocks(BATCHES_MD, "python")
    exec(compile(body, "batches.md[python block]", "exec"), {})


# ---- words a user does not know ---------------------------------------------------------------

INTERNAL = re.compile(r"\bissues? #?\d+|\bthe (model )?revision\b|\brevision of\b", re.IGNORECASE)


def user_documents() -> list[Path]:
    """What a user reads: the README, docs/, the notebooks and the scenarios (their source and
    question texts)."""
    return [
        README,
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "notebooks").glob("*.ipynb")),
        *sorted((ROOT / "scenarios").rglob("*.yaml")),
    ]


def internal_words(path: Path) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{n}: {match.group(0)!r}"
        for n, line in enumerate(text(path).splitlines(), 1)
        for match in INTERNAL.finditer(line)
    ]


def test_no_user_document_speaks_of_issues_or_revisions():
    found = [hit for path in user_documents() for hit in internal_words(path)]
    assert found == [], "internal wording a user cannot follow:\n" + "\n".join(found)


def test_internal_wording_is_found(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("Fixed in issue 8; before the revision it was 5%.\n", encoding="utf-8")
    found = [m.group(0) for m in INTERNAL.finditer(text(doc))]
    assert found == ["issue 8", "the revision"]


# ---- the analyst's guide ------------------------------------------------------------------------

GUIDE_MD = ROOT / "docs" / "guide.md"
DOC_LINK = re.compile(r"\]\((docs/[^)#]+)")


def test_the_readme_links_the_guide_first():
    assert DOC_LINK.findall(text(README))[0] == "docs/guide.md"


def test_the_guide_names_every_lever_with_its_range_and_baseline_value():
    levers = {lever.name: lever for lever in load_scenario(BASELINE).levers}
    data = baseline_data()
    table = table_rows(section(text(GUIDE_MD), "What you can change"))[0]
    rows = {row[0].strip("`"): row for row in table[1:]}
    assert sorted(rows) == sorted(levers), "the guide's lever table lists other levers"
    for name, lever in levers.items():
        low, high = rows[name][2].split(" to ")
        assert (float(low), float(high)) == (lever.low, lever.high), name
        assert same(rows[name][3], get_path(data, lever.path)), name


DID_PRESS = re.compile(r"article: DID Press \(S\. Saber, 2025\), '[^']*': ")
SOURCE_LINE = re.compile(r"^- ([A-Z]{3}(?:-[A-Z]{3})?) `(\w+)`: (.*)$", re.MULTILINE)


def test_model_md_sources_of_single_numbers_are_the_baselines():
    """A source line of section 5 for one actor's or pair's field ("- CHN `exposure`: ...")
    starts with that number's source in the baseline (the article's citation shortened); notes
    on the other actors may follow."""
    sources = {row["path"]: row["source"] for row in parameter_rows(load_scenario(BASELINE))}
    checked, stale = 0, []
    for key, field, documented in SOURCE_LINE.findall(section(text(MODEL_MD), "5. Parameter")):
        paths = [f"{kind}.{key}.{field}" for kind in ("actors", "relations")]
        path = next(p for p in paths if p in sources)
        source = DID_PRESS.sub("article (DID Press 2025): ", sources[path])
        checked += 1
        if not documented.startswith(source):
            stale.append(f"{path}: documented {documented[:80]!r}...")
    assert checked >= 8
    assert stale == [], "section 5 of docs/model.md quotes an old source:\n" + "\n".join(stale)
