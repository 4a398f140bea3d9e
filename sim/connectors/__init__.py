"""Adapters to other tools (the EMA Workbench), each an optional import."""
