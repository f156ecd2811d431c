"""SQL only with bound parameters: no query text built from values, and `.sql` files read only by their loaders.

A static pass over every Python file of the repository: a call to a query method (execute, fetch,
copy_from_query, DuckDB's sql / query, ...) whose SQL argument is built with an f-string, `+`, `%`,
`.format()` or `.join()`, directly or through a variable assigned such text in the same function,
is refused unless the allowlist below names that function and says why only identifiers (never values)
are spliced in. An allowlist entry that no longer matches anything fails too, so the list stays true.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUERY_METHODS = frozenset({
    "execute", "executemany", "executescript", "fetch", "fetchrow", "fetchval", "fetchall", "fetchone", "fetchmany",
    "copy_from_query", "cursor", "prepare", "sql", "query", "read_sql",
})
SKIP_DIRS = frozenset({".venv", "osiris.egg-info", "__pycache__", ".git"})

# (file, function) -> why the composed text holds identifiers only. Values always travel as parameters.
ALLOWED: dict[tuple[str, str], str] = {
    ("agent/store.py", "_migrate"): "prefixes BEGIN IMMEDIATE to a migration file shipped in agent/sql",
    ("serving/services/telemetry.py", "_merge_copy"): "concatenates two named .sql files (source + target kind)",
    ("serving/services/telemetry.py", "_merge_rows"): "concatenates two named .sql files (source + target kind)",
    ("pipelines/ingest/checks.py", "_check"): "table from warehouse.ingest.TELEMETRY_TABLES, a fixed tuple",
    ("warehouse/duck.py", "columns"): "table through _qualified() / the _VIEW pattern: checked identifiers",
    ("warehouse/duck.py", "publish_parquet"): "mart name through check_name(); the file path has its quotes doubled",
    ("warehouse/duck.py", "replace_table"): "table through _qualified(): checked identifiers",
    ("warehouse/duck.py", "upsert"): "table through _qualified(), key through check_name()",
    ("warehouse/duck.py", "count_rows"): "table through _qualified()",
    ("warehouse/ingest.py", "pg_max_seq"): "Postgres table name through quote_ident(), from TELEMETRY_TABLES",
    ("warehouse/ingest.py", "pg_count_upto"): "Postgres table name through quote_ident(), from TELEMETRY_TABLES",
    ("warehouse/ingest.py", "pg_seqs_upto"): "Postgres table name through quote_ident(), from TELEMETRY_TABLES",
    ("warehouse/ingest.py", "copy_batches"): "column expressions from the catalog and quote_ident() table name",
    ("warehouse/ingest.py", "_add_new_columns"): "quote_ident() column, DuckDB type name DuckDB itself reported",
    ("warehouse/ingest.py", "load_frame"): "table through check_name() at the top of the function",
    ("warehouse/ingest.py", "raw_state"): "table through check_name() before use",
    ("warehouse/snapshot.py", "snapshot_table_async"): "column expressions from the catalog, quote_ident() table",
    ("warehouse/snapshot.py", "_load"): "table through check_name() in snapshot_table_async before use",
    ("benchmarks/flywheel_mining.py", "_duckdb"): "row count (an int) into a range() series expression",
    ("benchmarks/flywheel_mining.py", "_postgres"): "generated database name and an int row count",
}
# Test scaffolding: CREATE / DROP DATABASE cannot take parameters, and the names (and the table
# names some tests count rows in) are generated or come from fixed lists inside the test.
ALLOWED_TEST_FILES: dict[str, str] = {
    "tests/warehouse/test_pg.py": "per-test database names (uuid hex)",
    "tests/agent/test_e2e_serving.py": "table names from a fixed tuple",
    "tests/serving/test_telemetry.py": "table names from serving.services.telemetry.TABLES",
    "tests/serving/test_evidence.py": "table names from a fixed tuple",
    "tests/hardening/faults_central.py": "table names from a fixed tuple",
}
SQL_LOADERS = frozenset({"warehouse/sql_files.py", "warehouse/migrate.py", "agent/sql/__init__.py"})
"""The only modules that may open `.sql` files: named queries, and the two migration runners."""


@cache
def _parsed() -> tuple[tuple[str, ast.Module], ...]:
    out = []
    for path in sorted(REPO.rglob("*.py")):
        rel = path.relative_to(REPO)
        if SKIP_DIRS & set(rel.parts) or "_pb2" in path.name:
            continue
        out.append((rel.as_posix(), ast.parse(path.read_text(), str(rel))))
    return tuple(out)


def _python_files() -> Iterator[tuple[str, ast.Module]]:
    """(path relative to the repository, parsed module) for every Python file; parsed once per run."""
    yield from _parsed()


def _texty(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sql")


def _composed(node: ast.AST, tainted: set[str]) -> bool:
    """True when `node` builds text at run time (rather than naming a constant or a loaded .sql file)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _texty(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return any(_texty(side) or _composed(side, tainted) for side in (node.left, node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "format_map", "join", "replace")
    return isinstance(node, ast.Name) and node.id in tainted


class _Finder(ast.NodeVisitor):
    """Query calls with composed SQL, as (function name, line, source of the SQL argument)."""

    def __init__(self) -> None:
        self.functions: list[ast.AST] = []
        self.found: list[tuple[str, int, str]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_METHODS and node.args:
            scope = self.functions[-1] if self.functions else None
            tainted = set()
            for item in ast.walk(scope) if scope else ():
                if isinstance(item, ast.Assign) and _composed(item.value, set()):
                    tainted |= {t.id for t in item.targets if isinstance(t, ast.Name)}
            if _composed(node.args[0], tainted):
                name = scope.name if scope else "<module>"
                self.found.append((name, node.lineno, ast.unparse(node.args[0])[:100]))
        self.generic_visit(node)


def composed_queries() -> list[tuple[str, str, int, str]]:
    """Every query call in the repository whose SQL text is composed at run time."""
    out = []
    for rel, tree in _python_files():
        finder = _Finder()
        finder.visit(tree)
        out += [(rel, name, line, text) for name, line, text in finder.found]
    return out


def test_sql_composed_only_in_allowlisted_functions():
    found = composed_queries()
    unexpected = [f"{rel}:{line} in {name}(): {text}" for rel, name, line, text in found
                  if (rel, name) not in ALLOWED and rel not in ALLOWED_TEST_FILES]
    assert not unexpected, "SQL built from run-time text; bind values as parameters:\n" + "\n".join(unexpected)


def test_sql_allowlist_has_no_stale_entries():
    found = {(rel, name) for rel, name, _, _ in composed_queries()}
    stale = sorted(set(ALLOWED) - found) + sorted(set(ALLOWED_TEST_FILES) - {rel for rel, _ in found})
    assert not stale, f"allowlist entries that match nothing (remove them): {stale}"


def test_sql_finder_catches_each_way_of_composing():
    # The finder itself must see every shape, or the two tests above could pass by seeing nothing.
    source = '''
def bad(conn, name, value):
    conn.execute(f"SELECT * FROM t WHERE a = '{value}'")
    conn.fetch("SELECT * FROM t WHERE a = '" + value + "'")
    conn.fetchrow("SELECT * FROM t WHERE a = '%s'" % value)
    conn.fetchval("SELECT * FROM t WHERE a = '{}'".format(value))
    query = f"DELETE FROM t WHERE a = '{value}'"
    conn.execute(query)
def good(conn, value):
    conn.execute(sql("serving/site_get"), value)
    conn.execute("SELECT 1 WHERE $1", value)
    conn.fetch(f"SELECT 1")
'''
    finder = _Finder()
    finder.visit(ast.parse(source))
    assert [(name, line) for name, line, _ in finder.found] == [("bad", 3), ("bad", 4), ("bad", 5), ("bad", 6),
                                                                 ("bad", 8)]


def _names_sql_file(tree: ast.Module) -> bool:
    # A string naming a .sql file (or a *.sql glob) anywhere but a docstring: code reading it directly.
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith(".sql")
               and id(n) not in docstrings for n in ast.walk(tree))


def test_sql_files_read_only_by_their_loaders():
    naming = {rel for rel, tree in _python_files() if not rel.startswith("tests/") and _names_sql_file(tree)}
    assert SQL_LOADERS <= naming, "the check no longer sees the loaders themselves"
    readers = sorted(naming - SQL_LOADERS)
    assert not readers, f"modules reading .sql files themselves (use warehouse.sql_files.sql): {readers}"


def test_sql_named_queries_exist():
    # Every literal name handed to warehouse.sql_files.sql names a file, so each query really is loaded
    # by name from warehouse/sql (a typo would otherwise only fail when that path runs).
    from warehouse.sql_files import SQL_DIR

    missing = []
    for rel, tree in _python_files():
        imports_loader = any(isinstance(n, ast.ImportFrom) and n.module == "warehouse.sql_files" for n in ast.walk(tree))
        if not imports_loader or rel.startswith("tests/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sql" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and not (SQL_DIR / f"{arg.value}.sql").is_file():
                    missing.append(f"{rel}:{node.lineno} sql({arg.value!r})")
    assert not missing, "\n".join(missing)
