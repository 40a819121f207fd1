"""Generated event contracts: JSON Schemas per event type and an AsyncAPI 3.0 document.

The pydantic models in ``payloads.py`` and the table in ``registry.py`` are the source of truth;
this module renders them into ``schemas/`` at the repository root::

    python -m rvi_shared.events.schemas [ROOT]          # (re)generate
    python -m rvi_shared.events.schemas --check [ROOT]  # exit 1 if the checked-in files are stale

Output is deterministic (registry order, pydantic's key order) so the files can be checked in and
compared byte for byte.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from rvi_shared.events.envelope import CONTENT_TYPE, CloudEvent
from rvi_shared.events.registry import EVENT_TYPES, TOPICS, EventType, dlq_topic

SCHEMA_BASE_URL = "https://rvi.example/schemas/events/"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_NAME = "CloudEvent"
ENVELOPE_FILE = "cloudevent.json"
EVENTS_DIR = Path("schemas") / "events"
ASYNCAPI_FILE = Path("schemas") / "asyncapi.yaml"
#: Version of the event contract as a whole (info.version). Bump it when the generated files change
#: in a way consumers should notice (a new event type, a new vN of an existing one, ...).
API_VERSION = "1.0.0"
KAFKA_SERVER = "localhost:9092"

_DEFS_REF = re.compile(r"^#/\$defs/(?P<name>.+)$")


# -- JSON Schemas --------------------------------------------------------------------------------


def _with_header(schema: dict[str, Any], *, id_: str, title: str, description: str | None) -> dict[str, Any]:
    """Return ``schema`` with ``$schema``/``$id``/``title``/``description`` first, rest in pydantic order."""
    head: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, "$id": id_, "title": title}
    if description:
        head["description"] = description
    rest = {k: v for k, v in schema.items() if k not in head and k != "description"}
    if not description and "description" in schema:
        head["description"] = schema["description"]
    return head | rest


def _payload_schema(event_type: EventType) -> dict[str, Any]:
    return _with_header(
        event_type.model.model_json_schema(),
        id_=f"{SCHEMA_BASE_URL}{event_type.name}.json",
        title=event_type.name,
        description=event_type.summary,
    )


def payload_schemas() -> dict[str, dict[str, Any]]:
    """Event type name -> standalone JSON Schema (draft 2020-12) of its ``data`` payload."""
    return {name: _payload_schema(event_type) for name, event_type in EVENT_TYPES.items()}


def envelope_schema() -> dict[str, Any]:
    """JSON Schema of the CloudEvents 1.0 envelope (structured JSON mode)."""
    return _with_header(
        CloudEvent.model_json_schema(),
        id_=f"{SCHEMA_BASE_URL}{ENVELOPE_FILE}",
        title=ENVELOPE_NAME,
        description="CloudEvents 1.0 envelope, structured JSON mode; `data` holds the event payload.",
    )


# -- AsyncAPI -------------------------------------------------------------------------------------


def _rewrite_refs(node: Any) -> Any:
    """Copy of ``node`` with every ``#/$defs/X`` reference turned into ``#/components/schemas/X``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (m := _DEFS_REF.match(value)):
                out[key] = f"#/components/schemas/{m['name']}"
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _hoist(name: str, schema: dict[str, Any], into: dict[str, Any]) -> None:
    """Add ``schema`` (and its ``$defs``) to the components ``into``, as AsyncAPI Schema Objects.

    ``$schema`` and ``$id`` are dropped: inside the document a ``$id`` would change the base URI
    that the rewritten ``#/components/...`` references are resolved against.
    """
    schema = copy.deepcopy(schema)
    defs = schema.pop("$defs", {})
    schema.pop("$schema", None)
    schema.pop("$id", None)
    for def_name, def_schema in [(name, schema), *defs.items()]:
        rewritten = _rewrite_refs(def_schema)
        if def_name in into and into[def_name] != rewritten:
            raise ValueError(f"two different schemas are both named {def_name!r} in components.schemas")
        into[def_name] = rewritten


def _camel(*parts: str) -> str:
    words = [w for part in parts for w in re.split(r"[^0-9A-Za-z]+", part) if w]
    return "".join(w if i == 0 else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _channel_id(topic: str) -> str:
    return _camel(topic.removeprefix("rvi."))


def _types_on(topic: str) -> list[EventType]:
    return [t for t in EVENT_TYPES.values() if t.topic == topic]


def _message(event_type: EventType) -> dict[str, Any]:
    return {
        "name": event_type.name,
        "title": event_type.model.__name__,
        "summary": event_type.summary,
        "contentType": CONTENT_TYPE,
        "payload": {
            "allOf": [
                {"$ref": f"#/components/schemas/{ENVELOPE_NAME}"},
                {
                    "type": "object",
                    "required": ["type", "data"],
                    "properties": {
                        "type": {"const": event_type.name},
                        "data": {"$ref": f"#/components/schemas/{event_type.name}"},
                    },
                },
            ]
        },
    }


def _channel_and_operation(topic: str, *, dead_letter: bool) -> tuple[str, dict, str, dict]:
    source_topic = topic
    if dead_letter:
        topic = dlq_topic(topic)
    channel_id = _channel_id(topic)
    types = _types_on(source_topic)
    messages = {t.name: {"$ref": f"#/components/messages/{t.name}"} for t in types}
    if dead_letter:
        description = f"Dead-letter topic of `{source_topic}`: events a consumer could not process, unchanged."
        op_summary = f"A consumer of `{source_topic}` parks an event it cannot process."
    else:
        producers = list(dict.fromkeys(t.producer for t in types))
        description = f"Events on `{topic}`, produced by {', '.join(producers) or 'nobody yet'}."
        op_summary = f"{', '.join(producers) or 'nobody'} publishes to `{topic}`."
    channel = {
        "address": topic,
        "title": topic,
        "description": description,
        "messages": messages,
    }
    operation = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "summary": op_summary,
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{name}"} for name in messages],
    }
    return channel_id, channel, _camel("publish", channel_id), operation


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of every topic (and its dead-letter topic) and event type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        for dead_letter in (False, True):
            channel_id, channel, operation_id, operation = _channel_and_operation(topic, dead_letter=dead_letter)
            if channel_id in channels or operation_id in operations:
                raise ValueError(f"duplicate channel/operation id {channel_id!r} for topic {topic!r}")
            channels[channel_id] = channel
            operations[operation_id] = operation

    schemas: dict[str, Any] = {}
    _hoist(ENVELOPE_NAME, envelope_schema(), schemas)
    for name, schema in payload_schemas().items():
        _hoist(name, schema, schemas)

    doc = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "rvi events",
            "version": API_VERSION,
            "description": (
                "Events of the Remote Video Inspection platform. Every message is a CloudEvents 1.0 "
                "envelope in structured JSON mode; its `type` names the event type and `data` holds "
                "the payload. Generated from rvi_shared.events; do not edit by hand."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": KAFKA_SERVER,
                "protocol": "kafka",
                "description": "Local Kafka broker (development).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": {name: _message(t) for name, t in EVENT_TYPES.items()},
        },
    }
    # A plain-JSON round trip: no shared sub-objects, so yaml never emits anchors/aliases.
    return json.loads(json.dumps(doc))


# -- files ----------------------------------------------------------------------------------------


def _json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _yaml_text(obj: Any) -> str:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=100)


def _rendered() -> dict[Path, str]:
    """Relative path -> file content of everything ``write_all`` produces."""
    files = {EVENTS_DIR / f"{name}.json": _json_text(s) for name, s in payload_schemas().items()}
    files[EVENTS_DIR / ENVELOPE_FILE] = _json_text(envelope_schema())
    files[ASYNCAPI_FILE] = _yaml_text(asyncapi_document())
    return files


def _extra_files(root: Path, expected: dict[Path, str]) -> Iterator[Path]:
    events_dir = root / EVENTS_DIR
    if events_dir.is_dir():
        for path in sorted(events_dir.glob("*.json")):
            if path.relative_to(root) not in expected:
                yield path


def write_all(root: Path) -> list[Path]:
    """Write every schema file under ``root``; return the paths written.

    ``schemas/events/`` is owned by the generator: ``.json`` files there that no longer correspond to an
    event type are deleted (``stale`` reports them as extra, so regenerating must clear them).
    """
    root = Path(root)
    files = _rendered()
    written = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    for path in list(_extra_files(root, files)):
        path.unlink()
    return written


def stale(root: Path) -> list[str]:
    """Paths (relative to ``root``, POSIX style) that are missing, differ, or should not exist."""
    root = Path(root)
    files = _rendered()
    out = []
    for rel, text in files.items():
        path = root / rel
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            out.append(rel.as_posix())
            continue
        if current != text:
            out.append(rel.as_posix())
    out.extend(path.relative_to(root).as_posix() for path in _extra_files(root, files))
    return sorted(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rvi_shared.events.schemas",
        description="Generate (or check) schemas/events/*.json and schemas/asyncapi.yaml.",
    )
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if any file is stale")
    parser.add_argument("root", nargs="?", type=Path, default=Path.cwd(), help="repository root (default: cwd)")
    args = parser.parse_args(argv)
    root: Path = args.root

    if args.check:
        problems = stale(root)
        if problems:
            print("stale event schemas (missing, different or unexpected):", file=sys.stderr)
            for rel in problems:
                print(f"  {rel}", file=sys.stderr)
            print("run: make schemas", file=sys.stderr)
            return 1
        print("event schemas are up to date")
        return 0

    for path in write_all(root):
        print(path.relative_to(root).as_posix() if path.is_relative_to(root) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
