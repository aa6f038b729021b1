"""The JSON Schema (draft 2020-12) of each subcommand's `--json` report: `<command>.json` here, one
per subcommand (`condense-train.json` for `natsparse condense train`).

    >>> sorted(COMMANDS)[:3]
    ['audit', 'bound', 'check']
    >>> import jsonschema
    >>> try:
    ...     validate("bound", {"id": "lem:x"})
    ... except jsonschema.ValidationError as exc:
    ...     print(exc.message)
    'parameters' is a required property
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

#: the subcommands with a schema, as their file names spell them
COMMANDS = tuple(sorted(p.name.removesuffix(".json") for p in files(__name__).iterdir()
                        if p.name.endswith(".json")))


def schema(command: str) -> dict:
    """The schema of `command` (`"bound"`, `"condense-eval"`, ...) as a dict."""
    if command not in COMMANDS:
        raise ValueError(f"no schema for {command!r}; the schemas: {', '.join(COMMANDS)}")
    return json.loads(files(__name__).joinpath(f"{command}.json").read_text(encoding="utf-8"))


def validate(command: str, report) -> None:
    """Raise jsonschema's ValidationError unless `report` (parsed JSON) follows `command`'s schema."""
    _validator(command).validate(report)


@cache
def _validator(command: str):
    import jsonschema
    from referencing import Registry, Resource

    registry = Registry().with_resources((s["$id"], Resource.from_contents(s))
                                         for s in map(schema, COMMANDS))
    return jsonschema.Draft202012Validator(schema(command), registry=registry)
