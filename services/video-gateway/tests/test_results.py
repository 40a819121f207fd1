"""Structured results of a live session (DOMAIN 8) and its audit trail: per site and checklist
item, a result with a finding and the evidence the item needs, a site done only once its
location is verified, all of it in `rvi.session.ended.v1`; participants joining and leaving."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from rvi_platform.testing import Tokens, eventually

if TYPE_CHECKING:
    from conftest import Emitted, MediaPeers, StartSession

ZHOUXIANG = {"site_id": "S1", "latitude": 30.17313, "longitude": 121.26982, "accuracy_m": 8}


async def test_results_per_site_and_item_with_their_evidence(
    start_session: StartSession,
    media: MediaPeers,
    clip: Callable[..., Any],
    client: httpx.AsyncClient,
    tokens: Tokens,
    emitted: Emitted,
) -> None:
    session = await start_session()
    sid = session["session_id"]
    officer = tokens.header(tokens.officer())
    enterprise = tokens.header(tokens.enterprise(session["enterprise_id"]))

    async def put(site: str, item: str, **body: Any) -> httpx.Response:
        return await client.put(f"/v1/sessions/{sid}/results/{site}/{item}", json=body, headers=officer)

    # A site is not done until its location is verified.
    response = await put("S1", "I2", result="not_verifiable_remotely")
    assert response.status_code == 409 and "location of site 'S1'" in response.json()["detail"]
    located = await client.post(f"/v1/sessions/{sid}/location", json=ZHOUXIANG, headers=enterprise)
    assert located.status_code == 201 and located.json()["passed"] is True

    # I1 needs a clip: the officer's word alone, or a location check, is not the evidence it needs.
    response = await put("S1", "I1", result="conforming", evidence=[located.json()["entry"]["step_id"]])
    assert response.status_code == 422 and "needs clip evidence" in response.json()["detail"]
    assert response.json()["field"] == "evidence"

    feed = await media.create_feed(session)
    await media.publish(feed, clip("h264"))
    await media.view(feed)
    started = await client.post(
        f"/v1/sessions/{sid}/recordings",
        json={"feed_id": feed["feed_id"], "kind": "checklist_item:I1", "site_id": "S1", "note": "inputs store"},
        headers=officer,
    )
    assert started.status_code == 201, started.text
    await eventually(lambda: _frames(client, sid, feed["feed_id"], officer), "frames relayed", 20)
    stopped = await client.post(f"/v1/sessions/{sid}/recordings/{started.json()['recording_id']}/stop", headers=officer)
    assert stopped.status_code == 200, stopped.text
    manifest = (await client.get(f"/v1/sessions/{sid}/manifest", headers=officer)).json()
    clip_step = next(e["entry"]["step_id"] for e in manifest["entries"] if e["entry"]["file"])

    response = await put("S1", "I1", result="non_conforming", evidence=[clip_step])
    assert response.status_code == 422 and response.json()["field"] == "finding"
    response = await put("S1", "I1", result="conforming", evidence=["no-such-step"])
    assert response.status_code == 422 and "no-such-step" in response.json()["detail"]
    response = await put(
        "S1", "I1", result="non_conforming", finding="chlorpyrifos in the store, not permitted", evidence=[clip_step]
    )
    assert response.status_code == 200, response.text
    assert response.json()["recorded_by"] == "O1"
    response = await put("S1", "I2", result="not_verifiable_remotely", finding="crop rows out of the camera's reach")
    assert response.status_code == 200, response.text
    assert (await put("S1", "I9", result="conforming")).status_code == 404
    assert (await put("S9", "I1", result="conforming")).status_code == 404
    assert (
        await client.put(f"/v1/sessions/{sid}/results/S1/I1", json={"result": "fine"}, headers=officer)
    ).status_code == 422
    # The enterprise reads the results but does not record them.
    assert (
        await client.put(f"/v1/sessions/{sid}/results/S1/I2", json={"result": "conforming"}, headers=enterprise)
    ).status_code == 403

    results = (await client.get(f"/v1/sessions/{sid}/results", headers=enterprise)).json()
    by_site = {s["site_id"]: s for s in results["sites"]}
    assert by_site["S1"]["location_verified"] is True and by_site["S2"]["location_verified"] is False
    assert [(i["item_id"], i["result"]) for i in by_site["S1"]["items"]] == [
        ("I1", "non_conforming"),
        ("I2", "not_verifiable_remotely"),
    ]
    assert by_site["S2"]["items"] == []
    assert results["onsite_required"] == [{"site_id": "S1", "item_id": "I2"}]

    ended = await client.post(
        f"/v1/sessions/{sid}/end", json={"conclusion": "one finding, one item on-site"}, headers=officer
    )
    assert ended.status_code == 200, ended.text
    [event] = await emitted(session["inspection_id"], "rvi.session.ended.v1")
    sites = {s["site_id"]: s for s in event["results"]}
    assert sites["S1"]["location_verified"] is True and sites["S2"] == {
        "site_id": "S2",
        "location_verified": False,
        "items": [],
    }
    item = sites["S1"]["items"][0]
    assert item["item_id"] == "I1" and item["evidence"] == [clip_step] and item["finding"].startswith("chlorpyrifos")
    assert item["recorded_by"] == "O1" and item["recorded_at"]

    # The audit trail: the enterprise's camera and the officer's viewer joined, then left when the
    # session ended and its feeds were let go.
    async def trail() -> list[dict[str, Any]] | None:
        entries = (await client.get(f"/v1/sessions/{sid}/audit", headers=officer)).json()
        return entries if sum(e["action"] == "left" for e in entries) >= 2 else None

    entries = await eventually(trail, "both participants left", 20)
    joined = [(e["actor"], e["detail"]["role"]) for e in entries if e["action"] == "joined"]
    assert joined == [(f"enterprise:rep-{session['enterprise_id']}", "publish"), ("officer:O1", "view")]
    left = {e["actor"] for e in entries if e["action"] == "left"}
    assert left == {f"enterprise:rep-{session['enterprise_id']}", "officer:O1"}
    assert [e["detail"]["item_id"] for e in entries if e["action"] == "result_recorded"] == ["I1", "I2"]


async def _frames(client: httpx.AsyncClient, sid: str, feed_id: str, officer: dict[str, str]) -> bool:
    feeds = (await client.get(f"/v1/sessions/{sid}/feeds", headers=officer)).json()
    return next(f for f in feeds if f["feed_id"] == feed_id)["frames"] >= 40
