"""Checks against data: calibration targets, `sim validate` and `sim calibrate`."""
