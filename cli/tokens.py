"""`osiris tokens`: create, list and revoke admin, partner and auditor tokens."""

from __future__ import annotations

import asyncio
import sys
import uuid

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Create admin, partner and auditor API tokens.", no_args_is_help=True, add_completion=False)

ROLES = ("admin", "partner", "auditor")


@app.callback()
def _group() -> None:
    """Create admin, partner and auditor API tokens."""


async def _connect():
    from warehouse.migrate import apply_migrations
    from warehouse.pg import connect, database_url

    url = database_url()
    await apply_migrations(url)
    return await connect(url)


async def _create(role: str, sites: list[uuid.UUID], name: str) -> tuple[dict, str]:
    from serving.services.auth import Role, create_token

    conn = await _connect()
    try:
        from warehouse.sql_files import sql

        live = {r["id"] for r in await conn.fetch(sql("serving/sites_live"), sites)}
        missing = [str(s) for s in sites if s not in live]
        if missing:
            fail(f"no such site: {', '.join(missing)}")
        return await create_token(conn, Role(role), sites, name)
    finally:
        await conn.close()


@app.command()
def create(
    role: str = typer.Option(..., "--role", help="admin, partner or auditor."),
    site: list[str] = typer.Option([], "--site", help="A site a partner token may reach (repeat for several)."),
    name: str = typer.Option("", "--name", help="A label to recognise the token by."),
) -> None:
    """Print a new token, alone, as the last stdout line (it is stored only as a hash: copy it now)."""
    from warehouse.errors import InvalidIdError
    from warehouse.rows import _uid

    if role not in ROLES:
        fail(f"--role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == "partner" and not site:
        fail("a partner token needs at least one --site")
    if role != "partner" and site:
        fail("--site applies to partner tokens only")
    try:
        sites = [_uid(s, "--site") for s in site]
    except InvalidIdError as exc:
        fail(str(exc))
    record, secret = asyncio.run(_create(role, sites, name))
    sys.stderr.write(f"created {role} token {record['id']}; it is shown once, below\n")
    sys.stdout.write(secret + "\n")


@app.command("list")
def list_tokens() -> None:
    """One JSON line per token (never the secret)."""

    async def run() -> list:
        conn = await _connect()
        try:
            from warehouse.sql_files import sql

            return await conn.fetch(sql("serving/token_list"))
        finally:
            await conn.close()

    for row in asyncio.run(run()):
        emit_json({
            "id": str(row["id"]), "role": row["role"], "site_ids": [str(s) for s in row["site_ids"]],
            "name": row["name"], "created_at": row["created_at"].isoformat(),
            "revoked": row["revoked_at"] is not None,
        })


@app.command()
def revoke(token_id: str = typer.Argument(..., help="The token's id (from `osiris tokens list`).")) -> None:
    """Revoke a token: it stops working at once."""
    from warehouse.errors import InvalidIdError
    from warehouse.rows import _uid

    try:
        tid = _uid(token_id, "token id")
    except InvalidIdError as exc:
        fail(str(exc))

    async def run():
        conn = await _connect()
        try:
            from warehouse.sql_files import sql

            return await conn.fetchval(sql("serving/token_revoke"), tid)
        finally:
            await conn.close()

    if asyncio.run(run()) is None:
        fail(f"token {tid} not found or already revoked")
    emit_json({"revoked": str(tid)})
