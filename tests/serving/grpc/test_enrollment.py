"""The enrollment service: tokens are one-time, expiring and site-bound; certificates map to appliances."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from serving.errors import BadRequest, Forbidden, NotFound, Unauthorized
from serving.pki.ca import CertificateAuthority, fingerprint
from serving.pki.errors import InvalidCSR
from serving.services import appliances, enrollment, sites
from tests.serving.grpc.helpers import csr_for, new_key

GRACE = timedelta(hours=1)


@pytest.fixture(scope="module")
def authority() -> CertificateAuthority:
    """A CA for the service tests (no files)."""
    return CertificateAuthority.create()


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-5), timedelta(days=31)])
async def test_create_token_ttl_out_of_range_bad_request(pool, site_id, ttl):
    with pytest.raises(BadRequest):
        await enrollment.create_token(pool, site_id, ttl=ttl)


async def test_create_token_unknown_or_deleted_site_not_found(pool, site_id):
    with pytest.raises(NotFound):
        await enrollment.create_token(pool, uuid.uuid4())
    await sites.delete_site(pool, site_id)
    with pytest.raises(NotFound):
        await enrollment.create_token(pool, site_id)


async def test_create_token_revoked_appliance_not_found(pool, site_id):
    appliance_id, _ = await appliances.provision_appliance(pool, site_id)
    await appliances.revoke_appliance(pool, site_id, appliance_id)
    with pytest.raises(NotFound, match=str(appliance_id)):
        await enrollment.create_token(pool, site_id, appliance_id=appliance_id)


async def test_create_token_stored_hashed_only(pool, site_id):
    record, secret = await enrollment.create_token(pool, site_id, name="x")
    stored = await pool.fetchrow("SELECT * FROM enrollment_tokens WHERE id = $1", uuid.UUID(record["id"]))
    assert secret not in {str(v) for v in stored.values()}
    assert len(stored["token_hash"]) == 64


@pytest.mark.parametrize("token", ["", "osa_looks-like-an-api-key", "ose_never-issued"])
async def test_enroll_unknown_or_malformed_token_unauthorized(pool, authority, token):
    with pytest.raises(Unauthorized):
        await enrollment.enroll(pool, authority, token, csr_for(new_key()))


async def test_enroll_site_deleted_after_token_unauthorized(pool, authority, site_id):
    _, token = await enrollment.create_token(pool, site_id)
    await sites.delete_site(pool, site_id)
    with pytest.raises(Unauthorized, match="deleted site"):
        await enrollment.enroll(pool, authority, token, csr_for(new_key()))


async def test_enroll_bad_csr_token_not_spent(pool, authority, site_id):
    _, token = await enrollment.create_token(pool, site_id)
    with pytest.raises(InvalidCSR):
        await enrollment.enroll(pool, authority, token, b"nonsense")
    issued = await enrollment.enroll(pool, authority, token, csr_for(new_key()))
    assert issued.api_key and issued.site_id == site_id


async def test_enroll_bound_to_appliance_revoked_meanwhile_forbidden(pool, authority, site_id):
    appliance_id, _ = await appliances.provision_appliance(pool, site_id)
    _, token = await enrollment.create_token(pool, site_id, appliance_id=appliance_id)
    await appliances.revoke_appliance(pool, site_id, appliance_id)
    with pytest.raises(Forbidden):
        await enrollment.enroll(pool, authority, token, csr_for(new_key()))
    # The transaction rolled back: the token is still unspent (and still useless while revoked).
    assert await pool.fetchval("SELECT used_at FROM enrollment_tokens") is None


async def test_certificate_identity_live_revoked_and_foreign(pool, authority, site_id):
    issued = await enrollment.enroll(pool, authority, (await enrollment.create_token(pool, site_id))[1],
                                     csr_for(new_key()))
    fp = fingerprint(issued.certificate)
    appliance, not_after = await enrollment.certificate_identity(pool, issued.appliance_id, fp, grace=GRACE)
    assert appliance.id == issued.appliance_id and not_after == issued.certificate.not_valid_after_utc
    with pytest.raises(Unauthorized):  # the fingerprint belongs to another appliance
        await enrollment.certificate_identity(pool, uuid.uuid4(), fp, grace=GRACE)
    with pytest.raises(Unauthorized):  # never recorded
        await enrollment.certificate_identity(pool, issued.appliance_id, "0" * 64, grace=GRACE)
    await appliances.revoke_appliance(pool, site_id, issued.appliance_id)
    with pytest.raises(Forbidden, match="revoked"):
        await enrollment.certificate_identity(pool, issued.appliance_id, fp, grace=GRACE)


async def test_renew_records_lineage_supersedes_old(pool, authority, site_id):
    issued = await enrollment.enroll(pool, authority, (await enrollment.create_token(pool, site_id))[1],
                                     csr_for(new_key()))
    appliance, _ = await enrollment.certificate_identity(
        pool, issued.appliance_id, fingerprint(issued.certificate), grace=GRACE)
    renewed = await enrollment.renew(pool, authority, appliance, fingerprint(issued.certificate), csr_for(new_key()))
    rows = {r["fingerprint"]: r for r in await pool.fetch("SELECT * FROM appliance_certificates")}
    new_row = rows[fingerprint(renewed.certificate)]
    assert new_row["renewed_from"] == fingerprint(issued.certificate) and new_row["superseded_at"] is None
    assert rows[fingerprint(issued.certificate)]["superseded_at"] is not None
    with pytest.raises(Forbidden, match="renewal"):  # with no grace the old one is refused at once
        await enrollment.certificate_identity(pool, issued.appliance_id, fingerprint(issued.certificate),
                                              grace=timedelta(0))
