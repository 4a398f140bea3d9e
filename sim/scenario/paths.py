"""Dotted paths into scenario data: `relations.USA-AFG.aid`, `actors.RUS.priorities.security`.

A list segment selects the item whose key matches (see `item_key`); a path ending on a Quantity
reads and writes its `value`. Levers, overlays and uncertainties all address parameters this way.
"""

from __future__ import annotations

import copy
from typing import Any

_KEYS = (
    ("code",),
    ("id",),
    ("power", "state"),
    ("exporter", "importer", "commodity"),
    ("origin", "destination"),
    ("name",),
    ("label",),  # events, e.g. `events.US aid ends.value`
)


def item_key(item: dict) -> str | None:
    """The key that names a list item in a path, e.g. 'RUS', 'USA-AFG' or 'RUS-AFG-fuel'."""
    for fields in _KEYS:
        if all(f in item for f in fields):
            return "-".join(str(item[f]) for f in fields)
    return None


def child(node: Any, segment: str, path: str) -> Any:
    """The field or list item `segment` of `node` (`path` is for error messages)."""
    if isinstance(node, dict):
        if segment not in node:
            raise KeyError(f"path {path!r}: no field {segment!r}; fields here: {sorted(node)}")
        return node[segment]
    if isinstance(node, list):
        keys = [item_key(item) for item in node if isinstance(item, dict)]
        for item in node:
            if isinstance(item, dict) and item_key(item) == segment:
                return item
        raise KeyError(f"path {path!r}: no item {segment!r}; items here: {keys}")
    raise KeyError(f"path {path!r}: cannot go into {segment!r} of a {type(node).__name__}")


def resolve(data: dict, path: str) -> tuple[Any, str]:
    """The container and key a path writes to: a Quantity's dict and 'value', or the parent."""
    *parents, last = path.split(".")
    node: Any = data
    for segment in parents:
        node = child(node, segment, path)
    target = child(node, last, path)
    if isinstance(target, dict) and "value" in target:
        return target, "value"
    if isinstance(node, list):
        raise KeyError(f"path {path!r} names a whole item, not a number")
    return node, last


def get_path(data: dict, path: str) -> Any:
    node, field = resolve(data, path)
    return node[field]


def set_path(data: dict, path: str, value: Any) -> None:
    node, field = resolve(data, path)
    node[field] = value


def item_name(item: dict) -> str | None:
    """How an error message names a list item: its key, or an event's month and type."""
    if "month" in item and "type" in item:
        return f"{item['month']} {item['type']}"
    return item_key(item)


def merge_overlay(base: dict, patch: dict) -> dict:
    """Deep-merge a scenario overlay into a base scenario dict: lists keyed by their ids merge
    item by item, an overlay's events are added to the base's (`events: []` clears them)."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if key == "events" and value and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *copy.deepcopy(value)]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_overlay(merged[key], value)
        elif (
            isinstance(value, list)
            and isinstance(merged.get(key), list)
            and value
            and all(isinstance(v, dict) and item_key(v) is not None for v in value)
        ):
            items = {item_key(v): v for v in merged[key] if isinstance(v, dict)}
            for item in value:
                k = item_key(item)
                items[k] = merge_overlay(items[k], item) if k in items else item
            merged[key] = list(items.values())
        else:
            merged[key] = copy.deepcopy(value)
    return merged
