"""Evidence at Central Command: signatures verified at ingest, chained per site, and the chain's status
naming every deleted or altered bundle."""

from __future__ import annotations

import asyncio
import base64
import json

import nacl.signing

from contracts.evidence import (
    GENESIS_HASH,
    ChainedEvidence,
    bundle_hash,
    chain_hash,
    parse_signed,
    verify_chain,
)
from tests.serving import factories
from tests.serving.factories import bearer

TELEMETRY = "/api/agent/telemetry"


async def _post(api, appliance, events):
    return await api.client.post(TELEMETRY, json={"events": events}, headers=appliance.headers)


async def _chain(api, site_id) -> list[ChainedEvidence]:
    rows = await api.pool.fetch("SELECT chain_seq, prev_hash, chain_hash, signed FROM evidence_bundles "
                                "WHERE site_id = $1 AND chain_seq IS NOT NULL ORDER BY chain_seq", site_id)
    return [ChainedEvidence(signed=parse_signed(r["signed"]), seq=r["chain_seq"], prev_hash=r["prev_hash"],
                            hash=r["chain_hash"]) for r in rows]


async def _status(api, site_id, token=None, **params):
    r = await api.client.get(f"/api/sites/{site_id}/evidence/chain", params=params, headers=bearer(token or api.admin))
    assert r.status_code == 200, r.text
    return r.json()


async def _site_with(api, bundles: int):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    events = [factories.evidence_event(appliance, target=f"pc-{n}") for n in range(bundles)]
    assert (await _post(api, appliance, events)).status_code == 200
    return sid, appliance, events


async def test_ingest_signed_bundles_chained_in_sent_order(api):
    sid, _, events = await _site_with(api, 5)
    chain = await _chain(api, sid)
    assert [e.bundle_id for e in chain] == [e["event_id"] for e in events]
    assert [e.seq for e in chain] == list(range(5)) and chain[0].prev_hash == GENESIS_HASH
    assert verify_chain(chain) == []
    head = await api.pool.fetchrow("SELECT length, head_hash FROM evidence_chain_heads WHERE site_id = $1", sid)
    assert (head["length"], head["head_hash"]) == (5, chain[-1].hash)
    row = await api.pool.fetchrow("SELECT bundle_hash, key_id FROM evidence_bundles WHERE chain_seq = 0")
    assert row["bundle_hash"] == bundle_hash(chain[0].signed) and row["key_id"] == chain[0].signed.key_id


async def test_ingest_next_batch_continues_the_chain_and_replay_adds_nothing(api):
    sid, appliance, first = await _site_with(api, 3)
    second = [factories.evidence_event(appliance) for _ in range(2)]
    assert (await _post(api, appliance, second)).json() == {"accepted": 2, "duplicates": 0}
    assert (await _post(api, appliance, first + second)).json() == {"accepted": 0, "duplicates": 5}
    chain = await _chain(api, sid)
    assert [e.seq for e in chain] == list(range(5)) and verify_chain(chain) == []
    assert chain[3].prev_hash == chain[2].hash


async def test_ingest_altered_bundle_refused_nothing_of_the_batch_stored(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    good = factories.evidence_event(appliance)
    bad = factories.evidence_event(appliance, result="fail")
    bad["payload"]["bundle"]["result"] = "pass"  # changed after signing
    incident = factories.one_of_each(sid)[0]
    r = await _post(api, appliance, [good, incident, bad])
    assert r.status_code == 400
    assert bad["event_id"] in r.json()["detail"] and "does not verify" in r.json()["detail"]
    for table in ("evidence_bundles", "incidents", "evidence_chain_heads"):
        assert await api.pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table


async def test_ingest_bundle_signed_by_another_key_refused(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    appliance.evidence = nacl.signing.SigningKey.generate()  # not the key it registered
    r = await _post(api, appliance, [factories.evidence_event(appliance)])
    assert r.status_code == 400 and "signed by key" in r.json()["detail"]


async def test_ingest_bundle_naming_another_appliance_refused(api):
    sid = await factories.site(api.client, api.admin)
    mine = await factories.appliance(api.client, api.admin, sid, name="mine")
    other = await factories.appliance(api.client, api.admin, sid, name="other")
    r = await _post(api, mine, [factories.evidence_event(mine, appliance_id=other.appliance_id)])
    assert r.status_code == 400 and f"names appliance '{other.appliance_id}'" in r.json()["detail"]


async def test_ingest_without_registered_key_conflict(api):
    sid = await factories.site(api.client, api.admin)
    keyless = await factories.appliance(api.client, api.admin, sid, evidence=False)
    keyless.evidence = nacl.signing.SigningKey.generate()
    r = await _post(api, keyless, [factories.evidence_event(keyless)])
    assert r.status_code == 409 and "PUT /api/appliances/me/keys" in r.json()["detail"]


async def test_ingest_malformed_evidence_bad_request(api):
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    ev = factories.evidence_event(appliance)
    ev["payload"]["signature"] = 12
    r = await _post(api, appliance, [ev])
    assert r.status_code == 400 and "not a signed evidence bundle" in r.json()["detail"]


async def test_concurrent_batches_of_two_appliances_never_fork_the_chain(api):
    sid = await factories.site(api.client, api.admin)
    appliances = [await factories.appliance(api.client, api.admin, sid, name=f"a{n}") for n in range(2)]
    batches = [(a, [factories.evidence_event(a) for _ in range(20)]) for a in appliances for _ in range(4)]
    answers = await asyncio.gather(*(_post(api, a, events) for a, events in batches))
    assert all(r.status_code == 200 for r in answers)
    chain = await _chain(api, sid)
    assert [e.seq for e in chain] == list(range(160)) and verify_chain(chain) == []
    status = await _status(api, sid)
    assert (status["intact"], status["length"], status["verified_up_to"]) == (True, 160, 159)


async def test_chain_status_intact_chain(api):
    sid, _, _ = await _site_with(api, 4)
    status = await _status(api, sid, token=await factories.token(api.pool, "auditor"))
    chain = await _chain(api, sid)
    assert status | {"last_bundle_at": None} == status | {
        "site_id": sid, "length": 4, "head_hash": chain[-1].hash, "checked_from": 0, "checked": 4, "complete": True,
        "intact": True, "verified_up_to": 3, "break_count": 0, "breaks": [], "last_bundle_at": None}
    assert status["batches"]["batches"] == 0


async def test_chain_status_deleted_bundle_named(api):
    sid, _, events = await _site_with(api, 5)
    await api.pool.execute("DELETE FROM evidence_bundles WHERE chain_seq = 2")
    status = await _status(api, sid)
    (brk,) = status["breaks"]
    assert (brk["kind"], brk["seq"], brk["bundle_id"]) == ("gap", 3, events[3]["event_id"])
    assert "seq 2 missing before bundle" in brk["detail"]
    assert brk["missing"] == [{"seq": 2, "bundle_id": None, "batch_id": None}]
    assert (status["intact"], status["verified_up_to"]) == (False, 1)


async def test_chain_status_deleted_last_bundle_named(api):
    sid, _, events = await _site_with(api, 3)
    await api.pool.execute("DELETE FROM evidence_bundles WHERE chain_seq = 2")
    (brk,) = (await _status(api, sid))["breaks"]
    assert (brk["kind"], brk["bundle_id"]) == ("gap", events[1]["event_id"])
    assert "missing from the end of the chain" in brk["detail"]


async def test_chain_status_altered_bundle_named(api):
    sid, _, events = await _site_with(api, 4)
    doc = json.loads(await api.pool.fetchval("SELECT signed FROM evidence_bundles WHERE chain_seq = 1"))
    doc["bundle"]["result"] = "fail"
    await api.pool.execute("UPDATE evidence_bundles SET signed = $1 WHERE chain_seq = 1", json.dumps(doc))
    status = await _status(api, sid)
    kinds = {(b["bundle_id"], b["kind"]) for b in status["breaks"]}
    assert kinds == {(events[1]["event_id"], "altered")}
    assert any("was altered" in b["detail"] for b in status["breaks"])
    assert any("signature does not verify" in b["detail"] for b in status["breaks"])
    assert status["verified_up_to"] == 0


async def test_chain_status_altered_and_rehashed_bundle_breaks_the_next_link(api):
    # Someone with database access alters bundle 1 and recomputes its chain hash: the signature and
    # bundle 2's link still give it away.
    sid, _, events = await _site_with(api, 4)
    row = await api.pool.fetchrow("SELECT signed, prev_hash FROM evidence_bundles WHERE chain_seq = 1")
    doc = json.loads(row["signed"])
    doc["bundle"]["target"] = "pc-forged"
    forged = parse_signed(json.dumps(doc))
    await api.pool.execute("UPDATE evidence_bundles SET signed = $1, chain_hash = $2 WHERE chain_seq = 1",
                           json.dumps(doc), chain_hash(row["prev_hash"], bundle_hash(forged)))
    status = await _status(api, sid)
    assert {(b["bundle_id"], b["kind"]) for b in status["breaks"]} == {
        (events[1]["event_id"], "altered"), (events[2]["event_id"], "prev_mismatch")}


async def test_chain_status_partial_walk_from_seq(api):
    sid, _, _ = await _site_with(api, 6)
    status = await _status(api, sid, from_seq=2, limit=2)
    assert (status["checked"], status["complete"], status["intact"], status["verified_up_to"]) == (2, False, True, 3)
    rest = await _status(api, sid, from_seq=4)
    assert (rest["checked"], rest["complete"], rest["verified_up_to"]) == (2, True, 5)


async def test_chain_status_old_bundles_verify_after_key_rotation(api):
    sid, appliance, _ = await _site_with(api, 2)
    appliance.evidence = nacl.signing.SigningKey.generate()
    body = {"signing_public_key": base64.b64encode(bytes(appliance.evidence.verify_key)).decode()}
    assert (await api.client.put("/api/appliances/me/keys", json=body, headers=appliance.headers)).status_code == 200
    assert (await _post(api, appliance, [factories.evidence_event(appliance)])).status_code == 200
    status = await _status(api, sid)
    assert (status["length"], status["intact"]) == (3, True)


async def test_chain_status_unknown_site_404_and_empty_site_zero(api):
    r = await api.client.get("/api/sites/00000000-0000-4000-8000-000000000000/evidence/chain",
                             headers=bearer(api.admin))
    assert r.status_code == 404
    sid = await factories.site(api.client, api.admin)
    status = await _status(api, sid)
    assert (status["length"], status["intact"], status["verified_up_to"], status["head_hash"]) == (
        0, True, None, GENESIS_HASH)


async def test_ingest_bundle_without_a_canonical_form_bad_request(api):
    # An unpaired surrogate has no UTF-8 form: nothing can have been signed over it (and it must not 500).
    sid = await factories.site(api.client, api.admin)
    appliance = await factories.appliance(api.client, api.admin, sid)
    ev = factories.evidence_event(appliance)
    ev["payload"]["bundle"]["target"] = "pc-\ud800"
    body = json.dumps({"events": [ev]}).encode()
    r = await api.client.post(TELEMETRY, content=body, headers={**appliance.headers, "content-type": "application/json"})
    assert r.status_code == 400 and ev["event_id"] in r.json()["detail"]
