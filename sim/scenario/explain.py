"""Every number of a scenario with its unit and source, as rows (for `sim explain` and docs)."""

from __future__ import annotations

from sim.scenario.paths import get_path, item_key
from sim.scenario.schema import Scenario

# Plain numbers inside a sourced item (a trade flow) that its source covers, with their units.
COMPANIONS = {"trend": "1/year", "previous_year": "{unit} (year before)"}


def parameter_rows(scenario: Scenario) -> list[dict]:
    """One row per sourced number: path (as levers address it), value, unit, source."""
    rows: list[dict] = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            if {"value", "unit", "source"} <= node.keys():
                rows.append(
                    {
                        "path": path,
                        "value": node["value"],
                        "unit": node["unit"],
                        "source": node["source"],
                    }
                )
                for key, unit in COMPANIONS.items():  # numbers that share the item's source
                    if node.get(key) is not None:
                        rows.append(
                            {
                                "path": f"{path}.{key}",
                                "value": node[key],
                                "unit": unit.format(unit=node["unit"]),
                                "source": node["source"],
                            }
                        )
                return
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                key = item_key(item) if isinstance(item, dict) else None
                if isinstance(item, dict) and "month" in item:
                    key = f"{item['month']}:{item['type']}"
                walk(item, f"{path}.{key if key is not None else i}")

    walk(scenario.model_dump(mode="json"), "")
    return rows


def format_rows(rows: list[dict]) -> str:
    width = max(len(r["path"]) for r in rows)
    lines = []
    for r in rows:
        value = f"{r['value']:g}" if isinstance(r["value"], float) else str(r["value"])
        lines.append(f"{r['path']:<{width}}  {value:>10} {r['unit']:<22} {r['source']}")
    return "\n".join(lines)


def format_factors(scenario: Scenario) -> str:
    """Levers (what a policy maker chooses) and uncertainties (what we do not know), with their
    paths, values and ranges, and outcomes (what is measured), as the EMA Workbench names
    them; and the sweep, if any."""
    values = scenario.factor_values()
    lines = []
    for title, items in (("levers", scenario.levers), ("uncertainties", scenario.uncertainties)):
        lines.append(f"\n{title}:" if items else f"\n{title}: none")
        for x in items:
            shape = getattr(x, "distribution", f"step {getattr(x, 'step', 0):g}")
            lines.append(
                f"  {x.name:<24} {values[x.name]:>9g} in [{x.low:g}, {x.high:g}] {shape:<10} "
                f"{x.path}  {x.label}"
            )
            if hasattr(x, "source"):
                lines.append(f"  {'':<24} {x.source}")
    if scenario.shares:
        lines.append("\nshares (weights drawn together, keeping their sum):")
    data = scenario.model_dump(mode="json")
    for x in scenario.shares:
        written = ", ".join(f"{part} {get_path(data, path):g}" for part, path in
                            zip(x.parts, x.paths, strict=True))  # fmt: skip
        lines.append(f"  {x.name:<24} Dirichlet, concentration {x.concentration:g}: {written}")
        lines.append(f"  {'':<24} {x.source}")
    lines.append("\noutcomes:" if scenario.outcomes else "\noutcomes: none")
    for x in scenario.outcomes:
        where = ", ".join(f"{k}={v}" for k, v in x.select.items())
        months = "last month" if x.over == "last" else f"{x.over} over months"
        lines.append(f"  {x.name:<24} {x.series}[{where}], {months}  {x.label}")
    if scenario.sweep is not None:
        lines.append(f"\nsweep: {scenario.sweep.model_dump(exclude_none=True)}")
    return "\n".join(lines)
