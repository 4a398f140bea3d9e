"""Run the notebooks and render them to HTML with their outputs (`make notebooks`).

Each notebook of notebooks/ is executed top to bottom in a fresh kernel (nbclient), in the
notebooks folder as Jupyter would run it, and written to docs/notebooks/NAME.html (nbconvert),
so a reader sees the results without running anything. The notebooks themselves stay without
outputs. A notebook that fails stops the rendering with its error and writes no HTML.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
HTML = ROOT / "docs" / "notebooks"
TIMEOUT = 900  # seconds a cell may take


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
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / f"{n}.ipynb" for n in args.names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    HTML.mkdir(parents=True, exist_ok=True)
    for path in paths:
        started = time.time()
        notebook = execute(path, NOTEBOOKS)
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
        target = HTML / f"{path.stem}.html"
        tmp = target.with_suffix(".html.tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(target)
        print(f"{path.relative_to(ROOT)} -> {target.relative_to(ROOT)} "
              f"({time.time() - started:.0f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
