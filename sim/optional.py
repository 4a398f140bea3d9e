"""Optional packages, imported when a feature needs them: a missing one is a clear error that
names the extra installing it (sim.errors.MissingDependencyError)."""

from __future__ import annotations

import importlib
import warnings

from sim.errors import MissingDependencyError


def need(module: str, field: str, package: str, extra: str):
    """`module`, imported for `field`, or the error that says `pip install '...[extra]'`."""
    try:
        with warnings.catch_warnings():  # the EMA Workbench 2.5 warns that ipyparallel is absent
            warnings.filterwarnings("ignore", "ipyparallel not installed", UserWarning)
            return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(field, package, extra) from None


def ema_workbench(field: str, module: str = ""):
    """The EMA Workbench (the `ema` extra), or one of its modules ("analysis.prim")."""
    name = f"ema_workbench.{module}" if module else "ema_workbench"
    return need(name, field, "the EMA Workbench", "ema")
