"""The checked-in event contracts (schemas/) match the pydantic models and hang together."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from rvi_shared.events import payloads as p
from rvi_shared.events.registry import EVENT_TYPES, TOPICS, dlq_topic
from rvi_shared.events.schemas import asyncapi_document, payload_schemas, stale, write_all

REPO_ROOT = Path(__file__).parents[2]
EVENTS_DIR = REPO_ROOT / "schemas" / "events"
ASYNCAPI = REPO_ROOT / "schemas" / "asyncapi.yaml"

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
OFFICER = p.Officer(officer_id="o-1", name="Li Wei", credential_no="GACC-0001")

SAMPLES: dict[str, BaseModel] = {
    "rvi.inspection.requested.v1": p.InspectionRequested(
        inspection_id="i-1",
        enterprise_id="e-1",
        enterprise_name="Acme Foods",
        customs="Shanghai",
        sites=[p.Site(site_id="s-1", name="Plant 1", latitude=31.2, longitude=121.5)],
        checklist_items=[p.ChecklistItem(item_id="c-1", description="cold chain", commodity_code="0303")],
        officers=[OFFICER],
        requested_at=T0,
    ),
    "rvi.eligibility.decided.v1": p.EligibilityDecided(
        decision_id="d-1",
        inspection_id="i-1",
        enterprise_id="e-1",
        remote_allowed=True,
        outcome="hybrid",
        items=[
            p.ItemDecision(
                item_id="c-1",
                method="onsite",
                reasons=[p.Reason(rule_id="R3", reference="GACC-RVI 3(IV)", message="sampling", facts={"n": 2})],
            )
        ],
        reasons=[],
        rule_set_version="2025.1",
        evaluated_at=T0,
    ),
    "rvi.enterprise.updated.v1": p.EnterpriseUpdated(
        enterprise_id="e-1",
        effective_from=T0,
        consent=p.Consent(given=True, scope="video"),
        credit_status="advanced_certified",
    ),
    "rvi.session.ended.v1": p.SessionEnded(
        session_id="x-1",
        inspection_id="i-1",
        enterprise_id="e-1",
        ended_at=T1,
        conclusion="compliant",
        steps=4,
        manifest_digest="sha256:" + "0" * 64,
    ),
}


def _refs(node: Any) -> list[str]:
    """Every ``$ref`` string anywhere in ``node``."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _resolve(doc: Any, ref: str) -> Any:
    """Follow a local JSON pointer (``#/a/b~1c``); raise LookupError if any step is missing."""
    assert ref.startswith("#/"), f"non-local $ref {ref!r}"
    node = doc
    for raw in ref[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise LookupError(f"{ref}: no {token!r}")
    return node


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))


def test_checked_in_schemas_are_not_stale():
    assert stale(REPO_ROOT) == [], "run: make schemas (python -m rvi_shared.events.schemas)"


def test_stale_reports_missing_changed_and_extra_files(tmp_path):
    assert stale(tmp_path)  # nothing written yet: everything missing
    written = write_all(tmp_path)
    assert stale(tmp_path) == []
    assert {path.name for path in written} >= {"asyncapi.yaml", "cloudevent.json"}

    changed = tmp_path / "schemas" / "events" / "rvi.session.ended.v1.json"
    changed.write_text("{}\n")
    extra = tmp_path / "schemas" / "events" / "rvi.session.paused.v1.json"
    extra.write_text("{}\n")
    assert stale(tmp_path) == [
        "schemas/events/rvi.session.ended.v1.json",
        "schemas/events/rvi.session.paused.v1.json",
    ]
    write_all(tmp_path)
    assert stale(tmp_path) == []
    assert not extra.exists()


def test_every_registry_type_has_a_schema_file():
    for name in EVENT_TYPES:
        schema = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert schema["$id"] == f"https://rvi.example/schemas/events/{name}.json"
        assert schema["title"] == name
        for ref in _refs(schema):
            _resolve(schema, ref)  # standalone files keep their own $defs
    assert (EVENTS_DIR / "cloudevent.json").is_file()


def test_schema_output_is_deterministic():
    assert json.dumps(payload_schemas()) == json.dumps(payload_schemas())
    assert json.dumps(asyncapi_document()) == json.dumps(asyncapi_document())


def test_asyncapi_version_and_a_channel_per_topic(asyncapi):
    assert asyncapi["asyncapi"] == "3.0.0"
    assert asyncapi["info"]["title"] == "rvi events"
    assert asyncapi["servers"]["local"] == {
        "host": "localhost:9092",
        "protocol": "kafka",
        "description": asyncapi["servers"]["local"]["description"],
    }
    addresses = {channel["address"]: channel for channel in asyncapi["channels"].values()}
    assert set(addresses) == set(TOPICS) | {dlq_topic(t) for t in TOPICS}
    for topic in TOPICS:
        expected = {n for n, t in EVENT_TYPES.items() if t.topic == topic}
        assert set(addresses[topic]["messages"]) == expected
        assert set(addresses[dlq_topic(topic)]["messages"]) == expected
    assert "publishInspections" in asyncapi["operations"]
    assert len(asyncapi["operations"]) == len(asyncapi["channels"])
    for operation in asyncapi["operations"].values():
        assert operation["action"] == "send"
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/")
    assert set(asyncapi["components"]["messages"]) == set(EVENT_TYPES)


def test_every_ref_resolves_within_the_document(asyncapi):
    refs = _refs(asyncapi)
    assert refs
    for ref in refs:
        assert "$defs" not in ref, ref
        _resolve(asyncapi, ref)
    assert not [s for s in asyncapi["components"]["schemas"].values() if "$defs" in s or "$id" in s]


def test_message_payloads_wrap_the_envelope_around_the_event_payload(asyncapi):
    schemas = asyncapi["components"]["schemas"]
    for name, message in asyncapi["components"]["messages"].items():
        assert message["name"] == name
        assert message["contentType"] == "application/cloudevents+json"
        for ref in _refs(message["payload"]):
            _resolve(asyncapi, ref)
        envelope, specific = message["payload"]["allOf"]
        assert envelope == {"$ref": "#/components/schemas/CloudEvent"}
        assert specific["properties"]["type"] == {"const": name}
        data = _resolve(asyncapi, specific["properties"]["data"]["$ref"])
        assert data is schemas[name]
        assert data["title"] == name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_payload_round_trips_and_matches_its_schema(name):
    model = EVENT_TYPES[name].model
    sample = SAMPLES[name]
    assert isinstance(sample, model)
    wire = json.loads(sample.model_dump_json())
    assert model.model_validate(wire) == sample

    # jsonschema is not installed: cross-check the sample against the checked-in schema's shape.
    schema = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(wire)
    assert set(wire) <= set(schema["properties"])
