"""Adapters to other tools (the EMA Workbench), each an optional import.

sim.connectors.ema: a scenario as an EMA Workbench Model (docs/ema.md); imports ema_workbench.
"""
