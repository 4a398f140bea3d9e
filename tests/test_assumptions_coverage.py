"""Every assumed number of the baseline is either drawn or kept fixed for a stated reason (issue
19, item 2): a number whose source says `assumption:` is an uncertainty's path or one of a set of
shares, or it matches a rule of docs/assumptions.md ("Assumptions kept fixed, and why", a table
whose second column holds the rule's path patterns). And the baseline's uncertainties are many,
grouped and reasoned, and docs/assumptions.md lists each of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.scenario.loading import load_scenario
from sim.scenario.paths import item_key
from sim.scenario.vocab import UNCERTAINTY_GROUPS

DOC = Path(__file__).resolve().parent.parent / "docs" / "assumptions.md"
FIXED = "Assumptions kept fixed, and why"
DECLARED = "Declared uncertainties"
MIN_UNCERTAINTIES = 40
MIN_SOURCE = 60  # characters of a range's reason
NOT_PARAMETERS = {"levers", "uncertainties", "shares", "pinned", "outcomes", "sweep",
                  "lever_reference"}  # fmt: skip


# ---- the numbers -------------------------------------------------------------------------
def sourced_numbers(node, path: tuple[str, ...] = ()):
    """(path, source) of every number of scenario data that a source describes: a quantity
    ({value, unit, source}) by its own path, and each number of an item that carries one source
    for all its fields (a trade flow's value and trend, an event's value); list items are named
    by paths.item_key, as levers and uncertainties name them."""
    if isinstance(node, dict):
        source = node.get("source")
        if isinstance(source, str):
            if "value" in node and set(node) <= {"value", "unit", "source"}:
                yield ".".join(path), source
                return
            for key, value in node.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    yield ".".join((*path, key)), source
        for key, value in node.items():
            if isinstance(value, dict | list) and not (not path and key in NOT_PARAMETERS):
                yield from sourced_numbers(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict):
                key = item_key(item)
                yield from sourced_numbers(item, (*path, str(index) if key is None else key))


def is_assumption(source: str) -> bool:
    return source.partition(":")[0].strip() == "assumption"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


@pytest.fixture(scope="module")
def drawn(baseline) -> set[str]:
    paths = {u.path for u in baseline.uncertainties}
    return paths | {path for shares in baseline.shares for path in shares.paths}


@pytest.fixture(scope="module")
def assumed(baseline) -> list[str]:
    """The path of every number of the baseline whose source says `assumption:`."""
    return [p for p, source in sourced_numbers(baseline.model_dump(mode="json"))
            if is_assumption(source)]  # fmt: skip


@pytest.fixture(scope="module")
def fixed(assumed, drawn) -> list[str]:
    """The assumed numbers not drawn: each must be kept fixed by a rule."""
    return [path for path in assumed if path not in drawn]


# ---- the rules ---------------------------------------------------------------------------
def section(doc: str, title_part: str) -> str:
    """The text under the `## ` heading that contains `title_part`, to the next `## `."""
    match = re.search(rf"^## [^\n]*{re.escape(title_part)}[^\n]*$", doc, re.MULTILINE)
    assert match, f"docs/assumptions.md has no section {title_part!r}"
    following = re.search(r"^## ", doc[match.end() :], re.MULTILINE)
    return doc[match.end() : match.end() + following.start() if following else len(doc)]


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the markdown tables in `text`, as lists of cells."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("-: ") or cells[0] in ("Rule", "Name"):
            continue  # the separator and the header
        rows.append(cells)
    return rows


def pattern_regex(pattern: str) -> re.Pattern:
    """A rule's path pattern as a regex: `*` stands for one segment (or part of one, never a
    dot), `{a,b}` for one of the names listed; anything else is literal."""
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out += r"[^.]*"
        elif char == "{":
            end = pattern.index("}", i)
            out += "(?:" + "|".join(map(re.escape, pattern[i + 1 : end].split(","))) + ")"
            i = end
        else:
            out += re.escape(char)
        i += 1
    return re.compile(out)


def read_rules(doc: str) -> list[tuple[str, list[str], str]]:
    """(rule, path patterns, reason) of every row of the fixed-assumptions table."""
    rules = []
    for cells in table_rows(section(doc, FIXED)):
        assert len(cells) == 3, f"a rule row needs rule | paths | why: {cells}"
        rules.append((cells[0], re.findall(r"`([^`]+)`", cells[1]), cells[2]))
    return rules


@pytest.fixture(scope="module")
def rules() -> list[tuple[str, list[str], str]]:
    return read_rules(DOC.read_text(encoding="utf-8"))


def unmatched(paths: list[str], rules) -> list[str]:
    regexes = [pattern_regex(p) for _, patterns, _ in rules for p in patterns]
    return [path for path in paths if not any(r.fullmatch(path) for r in regexes)]


# ---- checks ------------------------------------------------------------------------------
def test_the_walk_finds_the_assumed_numbers(assumed, fixed):
    """A precondition: the walk reaches quantities, items with one source and list items (a
    walk that found nothing would let every other test pass)."""
    assert len(assumed) > 500 and len(fixed) > 400
    for path in ("dynamics.host_tariff", "relations.CHN-TJK.investment",
                 "trade.RUS-KAZ-fuel.value", "migration.UZB-RUS.workers"):  # fmt: skip
        assert path in assumed, path


def test_every_assumed_number_is_drawn_or_kept_fixed_by_a_rule(fixed, rules):
    missing = unmatched(fixed, rules)
    assert not missing, (
        f"{len(missing)} numbers say `assumption:` in scenarios/baseline.yaml but are neither "
        "drawn (an uncertainty or a set of shares) nor kept fixed by a rule of "
        f"docs/assumptions.md ({FIXED!r}): declare a range, or add the rule and its reason: "
        + ", ".join(missing[:20])
    )


def test_every_rule_keeps_some_assumed_number_fixed_and_none_drawn(fixed, drawn, rules):
    """No stale rule (each pattern matches an assumed number not drawn), and no rule claims a
    drawn number stays fixed."""
    for name, patterns, _ in rules:
        assert patterns, f"the rule {name!r} names no path"
        for pattern in patterns:
            regex = pattern_regex(pattern)
            assert any(regex.fullmatch(path) for path in fixed), (
                f"the rule {name!r}: `{pattern}` matches no assumed number that is not drawn"
            )
            claimed = sorted(path for path in drawn if regex.fullmatch(path))
            assert not claimed, f"the rule {name!r}: `{pattern}` claims drawn {claimed} fixed"


def test_every_rule_says_why(rules):
    assert len(rules) >= 10
    for name, _, reason in rules:
        assert len(reason) > MIN_SOURCE, f"the rule {name!r} needs a reason"


def test_a_missing_rule_is_found(fixed, rules):
    """The check can fail: without any one rule some assumed number is left uncovered."""
    for i in range(len(rules)):
        assert unmatched(fixed, rules[:i] + rules[i + 1 :]), rules[i][0]


def test_the_baseline_declares_many_grouped_reasoned_uncertainties(baseline):
    items = baseline.uncertainties
    assert len(items) >= MIN_UNCERTAINTIES
    for item in [*items, *baseline.shares]:
        assert item.group in UNCERTAINTY_GROUPS, f"{item.name} has no group"
        assert len(item.source) > MIN_SOURCE, f"{item.name}: the source must say why the range"
    used = {item.group for item in [*items, *baseline.shares]}
    missing = set(UNCERTAINTY_GROUPS) - used
    assert not missing, f"groups without an uncertainty: {missing}"


def test_the_influence_weights_are_drawn_together(baseline):
    """The weights that must sum to one are drawn as shares: each written above 0."""
    weights = {p for s in baseline.shares for p in s.paths}
    written = baseline.influence.model_dump()
    components = {f"influence.{k}" for k in ("trade", "security", "economic", "diplomatic",
                                              "leverage") if written[k]["value"] > 0}  # fmt: skip
    assert components <= weights


def test_the_doc_lists_every_uncertainty(baseline):
    """Section A of docs/assumptions.md has a row for each uncertainty and set of shares, with
    its path and range, and no other."""
    rows = table_rows(section(DOC.read_text(encoding="utf-8"), DECLARED))
    listed = {re.sub(r"`", "", cells[0]): cells for cells in rows}
    declared = {item.name: item for item in [*baseline.uncertainties, *baseline.shares]}
    assert set(listed) == set(declared)
    for item in baseline.uncertainties:
        cells = listed[item.name]
        assert cells[1] == f"`{item.path}`", item.name
        assert cells[2].startswith(f"{item.low:g} to {item.high:g} "), item.name


def test_the_counts_the_docs_quote_are_the_baselines(baseline, assumed, drawn, fixed):
    """The docs quote how many numbers the baseline sources, assumes and draws: each count is
    recomputed here, so a new number or range cannot leave the prose behind."""
    numbers = dict(sourced_numbers(baseline.model_dump(mode="json")))
    kinds = [source.partition(":")[0].strip() for source in numbers.values()]
    drawn_assumed = [p for p in drawn if is_assumption(numbers.get(p, ""))]
    docs = DOC.parent
    expected = {
        DOC: {
            r"Of the baseline's sourced numbers, (\d+) say `assumption:`": [len(assumed)],
            r"\*\*Drawn\*\* \(section A\): (\d+) uncertainties": [len(baseline.uncertainties)],
            r"(\d+) of the (\d+) numbers drawn are `assumption:` numbers; (\d+) carry": [
                len(drawn_assumed),
                len(drawn),
                len(drawn) - len(drawn_assumed),
            ],
            r"the other (\d+) assumed numbers": [len(fixed)],
        },
        docs / "guide.md": {r"(\d+) of them carry a range": [len(baseline.uncertainties)]},
        docs / "model.md": {
            r"holds (\d+) sourced numbers: (\d+) marked article, (\d+) statistic, (\d+) "
            r"assumption and (\d+)\s+calibrated": [
                len(numbers),
                *(kinds.count(k) for k in ("article", "statistic", "assumption", "calibrated")),
            ]
        },
        docs / "analysis.md": {r"its (\d+) drawn inputs": [len(drawn)]},
    }
    for path, claims in expected.items():
        text = " ".join(path.read_text(encoding="utf-8").split())
        for pattern, counts in claims.items():
            found = re.search(pattern, text)
            assert found, f"{path.name}: no sentence matching {pattern!r}"
            assert [int(g) for g in found.groups()] == counts, f"{path.name}: {found.group(0)!r}"


def test_every_probe_of_section_c_backs_a_rule_of_section_b(rules):
    """The measured effects of numbers kept fixed (docs/make_effects.py) name the rules they
    back; a rule renamed or dropped would leave its probes pointing at nothing."""
    probes = table_rows(section(DOC.read_text(encoding="utf-8"), "Measured effects"))
    titles = {title for title, _, _ in rules}
    assert probes and {cells[0] for cells in probes} <= titles
