"""The one home of every closed vocabulary of the model, and of the labels built from codes.

Schema, loading, engine, recorded series and results all import these names from here.
"""

from __future__ import annotations

SOURCE_KINDS = ("article", "statistic", "assumption", "calibrated")
ROLES = ("power", "host", "neighbor")
INSTRUMENTS = ("security", "economic", "diplomatic")
COMMODITIES = ("fuel", "agrifood", "minerals", "manufactures", "electricity")
REQUIRED_COMMODITIES = ("fuel", "agrifood", "minerals", "manufactures")
NETWORKS = ("extremist", "trafficking")
EFFORTS = ("counter_terrorism", "enforcement")  # the host's effort against each network
INFLUENCE_COMPONENTS = ("trade", "security", "economic", "diplomatic", "leverage")
# What a power's components of influence over the host split into, each driver's component.
INFLUENCE_DRIVERS = {
    "aid": "economic",
    "investment": "economic",
    "remittances": "economic",
    "engagement": "diplomatic",
    "recognition": "diplomatic",
}

# Stochastic shocks: one Poisson-Hawkes process per kind, split over its targets.
SHOCK_KINDS = ("attack_host", "attack_abroad", "border_clash", "trafficking_surge", "closure")
ATTACKS = ("attack_host", "attack_abroad", "attack")  # shock kinds and the event type

# Uncertainties: how each is drawn, and the groups a scenario's ranges are declared in.
# Outcomes: how a series' months reduce to one number per world.
OUTCOME_REDUCTIONS = ("last", "mean", "min", "max", "first_above", "first_below")
DISTRIBUTIONS = ("uniform", "triangular", "normal", "loguniform", "choice")
UNCERTAINTY_GROUPS = {
    "influence": "influence weights and inertia",
    "priorities": "power and state priorities",
    "ties": "ties and alliances",
    "trade": "trade elasticities, trends and inertia",
    "memory": "expectations and memory",
    "leverage": "leverage and access",
    "neighbours": "neighbours",
    "migration": "migration",
    "shocks": "shocks and threat networks",
}
ASSUMPTION_MODES = ("drawn", "fixed")  # each world draws its assumptions, or all take the written
DEFAULT_ASSUMPTIONS = "drawn"  # of run(), sim run, sim batch, the app and the model

# Scheduled events, and which of actor / target / crossing / instrument each one needs.
EVENT_NEEDS: dict[str, tuple[str, ...]] = {
    "attack": ("target",),
    "border_clash": ("target",),
    "trafficking_surge": (),
    "closure": ("crossing",),
    "infrastructure": ("crossing",),
    "recognition": ("actor",),
    "sanctions": ("actor",),
    "aid": ("actor", "target"),
    "agreement": ("actor", "target"),
    "engagement": ("actor", "target", "instrument"),
    "migration": ("actor", "target"),
    "other_support": ("target",),
    "other_diplomatic": ("target",),
    "host_ties_support": ("actor",),
}
EVENT_TYPES = tuple(EVENT_NEEDS)
SECURITY_EVENTS = ("attack", "border_clash", "trafficking_surge", "closure")  # magnitude in [0, 1]
SIGNED_EVENTS = ("recognition", "sanctions", "engagement", "other_diplomatic")  # in [-1, 1]
SCALE_EVENTS = (  # a level or a factor, not negative
    "aid",
    "infrastructure",
    "agreement",
    "migration",
    "other_support",
    "host_ties_support",
)

# The string patterns of scenario and targets files, and what each means in error messages.
MONTH_PATTERN = r"^\d{4}-\d{2}$"
CODE_PATTERN = r"^[A-Z]{3}$"
ID_PATTERN = r"^[a-z0-9_]+$"
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
FOLDER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
PATTERN_MEANINGS = {
    MONTH_PATTERN: "a month written YYYY-MM, e.g. 2025-07",
    CODE_PATTERN: "a three-letter upper-case ISO 3166 alpha-3 code, e.g. AFG",
    ID_PATTERN: "lower-case letters, digits and underscores",
    NAME_PATTERN: "lower-case letters, digits and underscores, starting with a letter",
    FOLDER_NAME_PATTERN: "letters, digits, '_', '.' and '-', starting with a letter or digit "
    "(it names folders)",
}
MAX_SEED = 2**63  # root seeds lie in [0, MAX_SEED)
SEED_RANGE_TEXT = "[0, 2**63)"


def flow_label(exporter: str, importer: str, commodity: str) -> str:
    """The name of a trade flow, e.g. 'RUS-AFG-fuel' (also its key in lever paths)."""
    return f"{exporter}-{importer}-{commodity}"


def corridor_label(origin: str, destination: str) -> str:
    """The name of a migration corridor, e.g. 'TJK-RUS'."""
    return f"{origin}-{destination}"


def channel_label(kind: str, place: str) -> str:
    """The name of a shock channel (a kind at one target), e.g. 'attack_abroad:TJK'."""
    return f"{kind}:{place}"
