"""`sim schema`: the JSON Schema of scenario files."""

from __future__ import annotations

HELP = "print the JSON Schema of scenario files"


def add(subparsers) -> None:
    parser = subparsers.add_parser("schema", help=HELP, description=HELP)
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    import json

    from sim.scenario.schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0
