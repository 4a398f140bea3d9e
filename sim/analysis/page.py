"""One HTML page that needs nothing but itself, what a brief (sim.analysis.report) is written
with: its CSS inline, for the screen and for print (A4, no navigation, no chart or table row
split across pages, table headers repeated), tables whose cells are named by their column, and
matplotlib figures embedded as SVG data URIs. Every text is escaped here."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from html import escape

from matplotlib import rc_context

from sim.results.folder import REPORT_HEAD

CSS = """
:root { --ink: #1d2430; --soft: #5b6472; --line: #d9dee6; --accent: #2e5fa8; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); max-width: 64rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
header { border-bottom: 3px solid var(--accent); padding-bottom: .8rem; margin-bottom: .6rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--line); }
.question { font-size: 1.1rem; font-style: italic; margin: .4rem 0; }
.meta, .note, figcaption { color: var(--soft); font-size: .88rem; }
nav { font-size: .85rem; margin: .6rem 0 0; }
nav a { color: var(--accent); margin-right: .9rem; text-decoration: none; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; font-size: .86rem; margin: .4rem 0 .6rem; }
th, td { padding: .22rem .45rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }
thead tr.group th { border-bottom: 1px solid var(--soft); text-align: center; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num, td.month, td.unit { white-space: nowrap; }
td[class*=spread] { white-space: normal; }
td.what { width: 14rem; }
td.hash, td.command { word-break: break-all; }
tr.total td { font-weight: 600; background: #f4f6fa; }
tr.level-1 td:first-child { padding-left: 1.4rem; }
tr.level-2 td:first-child { padding-left: 2.6rem; color: var(--soft); }
tr.small td { color: var(--soft); font-style: italic; }
table.small { font-size: .78rem; }
.chip { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .8rem;
  white-space: nowrap; background: #eceff3; color: var(--soft); }
.chip-gain { background: #d6ecd9; color: #1e5a2a; }
.chip-loss { background: #f5d5d2; color: #7a1f17; }
.chip-mixed { background: #f8e5c4; color: #6d4708; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
figure { margin: .8rem 0 1.2rem; }
figure img { width: 100%; height: auto; display: block; }
ul { padding-left: 1.3rem; }
li { margin: .2rem 0; }
code, pre { font: .82rem/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f4f6fa; padding: .6rem .8rem; white-space: pre-wrap; word-break: break-all; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  nav { display: none; }
  html { font-size: 9pt; }
  body { font-size: 1rem; max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, tr, pre, .keep { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


@dataclass(frozen=True)
class Column:
    """A column of a table: `key` names its cells (their class), `title` heads it; numbers are
    right-aligned."""

    key: str
    title: str
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    """A row of a table: its cells by column key (text, escaped when written; `html` holds
    cells written as they are), `name` (its data-row attribute) and `kind` (its class); or,
    given `note`, one cell of text across the whole table."""

    cells: dict[str, str] = field(default_factory=dict)
    name: str = ""
    kind: str = ""
    html: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A titled part of the page, `key` its anchor, `body` its HTML."""

    key: str
    title: str
    body: str


def table(
    columns: list[Column],
    rows: list[Row],
    groups: list[tuple[str, int]] = (),
    name: str = "",
    small: bool = False,
) -> str:
    """A table of `rows` under `columns`, with a row of column `groups` (title, span) above
    their titles if given; `name` is its class (e.g. 'headline'), with 'small' if asked."""
    head = ""
    if groups:
        cells = "".join(f"<th colspan='{span}'>{escape(title)}</th>" for title, span in groups)
        head = f"<tr class='group'>{cells}</tr>"
    if any(c.title for c in columns):
        cells = "".join(f"<th class='{_classes(c)}'>{escape(c.title)}</th>" for c in columns)
        head += f"<tr>{cells}</tr>"
    body = []
    for row in rows:
        attributes = f" data-row='{escape(row.name)}'" if row.name else ""
        attributes += f" class='{escape(row.kind)}'" if row.kind else ""
        if row.note:
            body.append(
                f"<tr{attributes}><td colspan='{len(columns)}'>{escape(row.note)}</td></tr>"
            )
            continue
        cells = "".join(
            f"<td class='{_classes(c)}'>"
            f"{row.html[c.key] if c.key in row.html else escape(row.cells.get(c.key, ''))}</td>"
            for c in columns
        )
        body.append(f"<tr{attributes}>{cells}</tr>")
    classes = " ".join(filter(None, [name, "small" if small else ""]))
    head = f"<thead>{head}</thead>" if head else ""
    return f"<table class='{classes}'>{head}<tbody>{''.join(body)}</tbody></table>"


def _classes(column: Column) -> str:
    return f"{column.key} num" if column.numeric else column.key


def figure(fig, caption: str, name: str) -> str:
    """A matplotlib figure as an SVG data URI in an <img>, with its caption; its class is
    `name`. The SVG is written without a date and with fixed ids, so the same figure gives the
    same bytes."""
    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "sim-report", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure class='{escape(name)}'><img alt='{escape(caption)}' "
        f"src='data:image/svg+xml;base64,{data}'><figcaption>{escape(caption)}</figcaption>"
        "</figure>"
    )


def paragraph(text: str, kind: str = "", html: bool = False) -> str:
    """A paragraph of text, escaped (unless it is `html` already); `kind` its class."""
    body = text if html else escape(text)
    return f"<p class='{kind}'>{body}</p>" if kind else f"<p>{body}</p>"


def bullets(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def page(title: str, header: str, sections: list[Section]) -> str:
    """The whole page: REPORT_HEAD (what marks a brief as ours), the CSS, the header, a
    navigation to the sections (not printed) and the sections."""
    links = "".join(f"<a href='#{s.key}'>{escape(s.title)}</a>" for s in sections)
    parts = "".join(
        f"<section id='{s.key}'><h2>{escape(s.title)}</h2>{s.body}</section>" for s in sections
    )
    return (
        f"{REPORT_HEAD}<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header>{header}<nav>{links}</nav></header>{parts}</body></html>\n"
    )
