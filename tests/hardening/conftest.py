"""Hardening fixtures: the serving and gRPC fixtures reused as they are, plus a seeded live server.

The serving fixtures are imported rather than copied, so the app under attack here is started exactly
as the serving tests start it (fresh migrated database, lifespan running, the same session loop).
"""

from __future__ import annotations

# Re-exported fixtures (pytest finds fixtures by name in this module) and the loop-restoring hook.
from tests.serving.conftest import (  # noqa: F401
    _session_loop,
    api,
    db_url,
    pytest_pyfunc_call,
    serving_template,
)
from tests.serving.grpc.conftest import grpc_settings, pool, servers, signing_key, site_id  # noqa: F401
