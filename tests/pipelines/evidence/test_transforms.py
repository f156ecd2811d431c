"""Pure steps of the evidence group: batches cut from verified rows, mart frames of fixed shape."""

from __future__ import annotations

import pytest

from contracts.evidence import merkle_root
from pipelines.evidence.resources import PUBLIC_CALENDARS, OtsCalendars
from pipelines.evidence.transforms import BATCH_SCHEMA, frame, plan_batches
from warehouse.evidence.walk import ChainRow


def _rows(n: int) -> list[ChainRow]:
    return [ChainRow(seq=s, bundle_id=f"b{s}", appliance_id="a", prev_hash=None, chain_hash=f"{s:064x}", signed=None)
            for s in range(n)]


def test_plan_batches_chunks_in_order_up_to_the_verified_seq():
    plans = plan_batches("s", _rows(7), verified_up_to=4, max_leaves=2)
    assert [p.seqs for p in plans] == [[0, 1], [2, 3], [4]]
    assert plans[0].root == merkle_root([bytes.fromhex(f"{0:064x}"), bytes.fromhex(f"{1:064x}")]).hex()


@pytest.mark.parametrize(("verified", "leaves"), [(None, 5), (4, 0)])
def test_plan_batches_nothing_verified_or_no_room_no_batch(verified, leaves):
    assert plan_batches("s", _rows(5), verified_up_to=verified, max_leaves=leaves) == []


def test_frame_empty_keeps_schema():
    empty = frame([], BATCH_SCHEMA)
    assert empty.height == 0 and dict(empty.schema) == BATCH_SCHEMA


def test_calendars_from_env_off_unless_configured(monkeypatch):
    monkeypatch.delenv("OSIRIS_OTS_CALENDARS", raising=False)
    assert not OtsCalendars.from_env().enabled
    assert OtsCalendars.from_env().describe().startswith("stamping disabled")
    monkeypatch.setenv("OSIRIS_OTS_CALENDARS", "public")
    assert OtsCalendars.from_env().urls == list(PUBLIC_CALENDARS)
    monkeypatch.setenv("OSIRIS_OTS_CALENDARS", "http://127.0.0.1:1, http://127.0.0.1:2")
    assert OtsCalendars.from_env().urls == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
