"""Run the notebooks and render them to HTML with their outputs (`make notebooks`).

Each notebook of notebooks/ is executed top to bottom in a fresh kernel (nbclient), in the
notebooks folder as Jupyter would run it, and written to docs/notebooks/NAME.html (nbconvert),
so a reader sees the results without running anything. The notebooks themselves stay without
outputs. A notebook that fails stops the rendering with its error and writes no HTML.

Each HTML file is recorded in docs/generated.json with what it was made from: the notebook, the
scenarios of the library it names, the model and the package (docs/provenance.py). A notebook
none of whose inputs changed since is not run again (`--force` runs it anyway): the HTML is not
byte-stable (widget ids, timings), so it is compared by provenance.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
import provenance
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = provenance.ROOT
NOTEBOOKS = ROOT / "notebooks"
HTML = ROOT / "docs" / "notebooks"
TIMEOUT = 900  # seconds a cell may take
COMMAND = "make notebooks"
CODE = ("code:docs/make_notebooks.py", "code:sim")


def used(path: Path) -> dict[str, str]:
    """What a notebook's HTML is made from: the notebook, the scenarios of the library it
    names (as a word in its text), the model and the package."""
    text = path.read_text(encoding="utf-8")
    scenarios = [
        provenance.scenario_input(p)
        for p in sorted((ROOT / "scenarios").glob("*.yaml"))
        if re.search(rf"\b{p.stem}\b", text)
    ]
    return provenance.inputs(f"file:{path.relative_to(ROOT).as_posix()}", *scenarios, *CODE)


def execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    """The notebook at `path` executed in a fresh kernel with `cwd` as its folder."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        store_widget_state=True,
    )
    client.execute()
    return notebook


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks to render (default: all)")
    parser.add_argument("--force", action="store_true", help="run even if nothing changed")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / f"{n}.ipynb" for n in args.names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    HTML.mkdir(parents=True, exist_ok=True)
    made = {}
    for path in paths:
        key = (HTML / f"{path.stem}.html").relative_to(ROOT).as_posix()
        made[key] = used(path)
        if not args.force and provenance.fresh(key, made[key]):
            print(f"{key} is up to date (nothing it is made from changed)")
            continue
        started = time.time()
        notebook = execute(path, NOTEBOOKS)
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
        target = HTML / f"{path.stem}.html"
        tmp = target.with_suffix(".html.tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(target)
        print(f"{path.relative_to(ROOT)} -> {target.relative_to(ROOT)} "
              f"({time.time() - started:.0f} s)")  # fmt: skip
        provenance.Registry().record(COMMAND, {key: made[key]}, replace=False)
    if not args.names:  # every notebook: forget the HTML of notebooks no longer there
        provenance.Registry().record(COMMAND, made)
    return 0


if __name__ == "__main__":
    sys.exit(main())
