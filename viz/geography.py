"""Where the regional map (viz/figures.py, map_figure) places things: actors at approximate
positions (no tiles, nothing fetched) and the border crossings into the host.

Positions are longitude and latitude of capitals, rounded (public knowledge); the powers are
placed at the map's edge in their direction (Russia north, China east, the United States
off the map to the west), since their capitals lie far outside the region.
"""

from __future__ import annotations

import numpy as np

POSITIONS = {  # (longitude, latitude)
    "AFG": (69.2, 34.5),  # Kabul
    "TJK": (68.8, 38.6),  # Dushanbe
    "UZB": (69.2, 41.3),  # Tashkent
    "TKM": (58.4, 38.0),  # Ashgabat
    "KAZ": (71.4, 47.5),  # Astana is at 51.2 N; drawn lower to keep the map compact
    "KGZ": (74.6, 42.9),  # Bishkek
    "IRN": (53.0, 35.7),  # Tehran is at 51.4 E
    "PAK": (73.0, 33.7),  # Islamabad
    "RUS": (62.0, 51.5),  # schematic: north
    "CHN": (81.0, 40.0),  # schematic: east (Xinjiang)
    "USA": (51.0, 45.5),  # schematic: off the map
}
CROSSINGS = {
    "termez_hairatan": (67.3, 37.2),
    "serhetabat_torghundi": (62.3, 35.3),
    "shirkhan_panji": (68.6, 37.1),
    "islam_qala": (61.0, 34.7),
    "torkham": (71.1, 34.1),
}
CLOSED = 0.5  # a crossing with more than half its flow blocked (median) is drawn closed


def position(code: str, k: int) -> tuple[float, float]:
    """An actor's position; actors the map does not know sit on a ring around the region."""
    if code in POSITIONS:
        return POSITIONS[code]
    angle = 2 * np.pi * k / 11
    return (67 + 16 * np.cos(angle), 42 + 10 * np.sin(angle))
