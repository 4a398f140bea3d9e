"""The monthly submodels, one module each: events, perception, trade, shocks, influence."""
