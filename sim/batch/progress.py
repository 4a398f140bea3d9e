"""The progress bar of a run and of a batch: one factory, so both look and update alike."""

from __future__ import annotations


def progress_bar(total: int, enabled: bool, unit: str, desc: str, **options):
    """A tqdm bar of `total` steps (a widget in Jupyter, text in a terminal), redrawn at most
    twice a second; hidden unless `enabled`. `options` go to tqdm (unit_scale, leave)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, desc=desc, disable=not enabled, mininterval=0.5, **options)
