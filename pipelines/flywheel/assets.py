"""The `flywheel` group: mine L2 history, promote through shadow and canary, demote, sign the bundle.

flywheel_candidates -> flywheel_promotions -> rule_health -> rules_bundle. Thresholds are run config
(tunable in the launchpad; defaults in `gate.GateConfig` and `lifecycle.LifecycleConfig`); state
lives in Postgres (`warehouse.flywheel`), the mined candidates in DuckDB `flywheel.candidates`.
"""

# No `from __future__ import annotations` in the Dagster modules: Dagster reads the resource and
# config annotations at definition time and must see the classes, not strings.
import asyncio
from pathlib import Path

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from contracts.rules import load_rules
from pipelines.flywheel import lifecycle, mining, transforms
from pipelines.flywheel.gate import GateConfig, judge, key
from pipelines.flywheel.lifecycle import LifecycleConfig
from pipelines.flywheel.synthesis import pattern_records
from pipelines.resources import PostgresResource, WarehouseResource
from warehouse import flywheel as state
from warehouse.bundles import load_or_create_signing_key
from warehouse.duck import replace_table
from warehouse.pg import connect

GROUP = "flywheel"
INPUTS = ["stg_incidents", "stg_l2_decisions", "stg_healing_outcomes"]


class SynthesisConfig(Config):
    """How rule conditions are read from the decision tree."""

    leaf_purity: float = 0.9
    max_depth: int = 3
    min_samples_leaf: int = 1


class GateRunConfig(Config):
    """The promotion gate and the stage thresholds (see `gate` and `lifecycle` for what each means)."""

    min_n: int = 5
    min_wilson_lower: float = 0.85
    min_sites: int = 2
    min_precision: float = 0.9
    shadow_min_agreements: int = 5
    shadow_min_agreement: float = 0.9
    canary_sites: int = 2
    canary_min_successes: int = 5
    canary_min_success_rate: float = 0.9

    def lifecycle(self) -> LifecycleConfig:
        """The stage thresholds."""
        return LifecycleConfig(self.shadow_min_agreements, self.shadow_min_agreement, self.canary_sites,
                               self.canary_min_successes, self.canary_min_success_rate, self.min_wilson_lower)


class HealthConfig(Config):
    """When a live promoted rule is demoted."""

    demote_below: float = 0.85
    shadow_min_agreement: float = 0.9


class BundleConfig(Config):
    """The signing key (default `$OSIRIS_HOME/keys/signing.key`, Central Command's) and bundle validity."""

    key_path: str | None = None
    expires_days: int = 30


def _markdown(frame) -> str:
    if frame.is_empty():
        return "no candidates"
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "".join("| " + " | ".join("" if v is None else str(v) for v in row) + " |\n" for row in frame.rows())


def _run(coro_fn, dsn: str, *args):
    async def _go():
        conn = await connect(dsn)
        try:
            return await coro_fn(conn, *args)
        finally:
            await conn.close()

    return asyncio.run(_go())


@asset(group_name=GROUP, kinds={"duckdb", "sklearn"}, deps=INPUTS,
       description="Promotion candidates: verified L2 decisions grouped by (pattern_signature, runbook_id) with n, "
                   "successes, the Wilson 95% interval, distinct sites, human-review share and the L2 cost and "
                   "latency a promotion would save per month; beside each, the condition list a shallow decision "
                   "tree per runbook reads from the incidents' categorical facts. DuckDB `flywheel.candidates`.")
def flywheel_candidates(config: SynthesisConfig, warehouse: WarehouseResource) -> MaterializeResult:
    """Mine (SQL) and synthesize (sklearn) over the staged history."""
    gate = GateConfig(leaf_purity=config.leaf_purity, max_depth=config.max_depth,
                      min_samples_leaf=config.min_samples_leaf)
    with warehouse.connect() as con:
        staged = mining.load_staging(con)
        candidates, _, synthesized = transforms.synthesize(con, gate)
        table = transforms.candidates_table(candidates, synthesized)
        rows = replace_table(con, "flywheel.candidates", table)
    preview = table.select("pattern_signature", "runbook_id", "n", "successes", "wilson_lower", "sites",
                           "rule_id").head(20)
    return MaterializeResult(metadata={
        "dagster/row_count": rows, "staging_present": staged,
        "with_conditions": int(table["rule_id"].is_not_null().sum()),
        "top_candidates": MetadataValue.md(_markdown(preview)),
    })


async def _promote(conn, table, patterns, gate: GateConfig, life: LifecycleConfig):
    rules = await state.promoted_rules(conn)
    overrides = await state.overrides(conn)
    existing = list(load_rules(await state.bundle_rules(conn)))
    live = {key(s, r["runbook_id"]): r["rule_id"] for r in rules if r["status"] in state.LIVE
            for s in state.signatures(r)}
    candidates, synthesized = transforms.split_candidates_table(table)
    evaluation = judge(candidates, synthesized, patterns, existing, gate, overrides, live)
    ids = [r["rule_id"] for r in rules]
    shadow = lifecycle.per_rule(await state.shadow_evidence(conn, ids), ("agree", "disagree"))
    outcomes = lifecycle.per_rule(await state.rule_outcomes(conn, ids), ("n", "successes"))
    transitions = lifecycle.promotions(evaluation.candidates, evaluation.promoted, rules, overrides, shadow,
                                       outcomes, life)
    applied = set(await state.apply_transitions(conn, transitions))
    entered = {t.rule_id for t in transitions if t.rule_id in applied and t.to_status == "shadow"}
    for c in evaluation.candidates:
        # Record the state this run leaves behind, so the next run with no new evidence finds it unchanged.
        if c["verdict"] == "promote" and c["rule_id"] in entered:
            c["verdict"], c["reasons"] = "live", [f"already live as {c['rule_id']}"]
    changed = await state.save_candidates(conn, evaluation.candidates)
    return evaluation, changed, [t for t in transitions if t.rule_id in applied]


@asset(group_name=GROUP, kinds={"postgres"}, deps=[flywheel_candidates],
       description="The gate and the backtest over every candidate (n, Wilson lower bound, sites, backtest precision, "
                   "no conflict with existing rules), recorded in Postgres `rule_candidates`; then stage changes: "
                   "passing candidates enter shadow, shadow rules that agree with L2's verified outcomes go canary, "
                   "canaries that heal go active fleet-wide. Each change is a `rule_audit` record.")
def flywheel_promotions(context: AssetExecutionContext, config: GateRunConfig, postgres: PostgresResource,
                        warehouse: WarehouseResource) -> MaterializeResult:
    """Judge candidates and move promoted rules forward."""
    with warehouse.connect() as con:
        table = con.sql("SELECT * FROM flywheel.candidates").pl()
        patterns = pattern_records(mining.patterns(con))
    gate = GateConfig(min_n=config.min_n, min_wilson_lower=config.min_wilson_lower, min_sites=config.min_sites,
                      min_precision=config.min_precision)
    evaluation, changed, moved = _run(_promote, postgres.dsn(), table, patterns, gate, config.lifecycle())
    for t in moved:
        context.log.info(f"{t.rule_id}: {t.from_status or 'new'} -> {t.to_status} ({t.reason})")
    verdicts = [c["verdict"] for c in evaluation.candidates]
    return MaterializeResult(metadata={
        "candidates": len(verdicts), "passed_gate": verdicts.count("promote"), "live": verdicts.count("live"),
        "rejected": verdicts.count("reject"), "candidates_changed": changed,
        "transitions": MetadataValue.json([{"rule_id": t.rule_id, "from": t.from_status, "to": t.to_status,
                                            "reason": t.reason} for t in moved]),
    })


async def _health(conn, life: LifecycleConfig):
    rules = await state.promoted_rules(conn, state.LIVE)
    ids = [r["rule_id"] for r in rules]
    shadow = lifecycle.per_rule(await state.shadow_evidence(conn, ids), ("agree", "disagree"))
    outcomes = lifecycle.per_rule(await state.rule_outcomes(conn, ids), ("n", "successes"))
    transitions = lifecycle.demotions(rules, shadow, outcomes, life)
    applied = await state.apply_transitions(conn, transitions)
    return rules, outcomes, [t for t in transitions if t.rule_id in applied]


@asset(group_name=GROUP, kinds={"postgres"}, deps=[flywheel_promotions],
       description="Watches live promoted rules: a canary or active rule whose verified L1 outcomes' Wilson upper bound "
                   "falls below the gate's threshold (or a shadow rule that keeps disagreeing with L2) is demoted "
                   "with the reason recorded; the next bundle drops it.")
def rule_health(context: AssetExecutionContext, config: HealthConfig, postgres: PostgresResource) -> MaterializeResult:
    """Demote what the field no longer supports."""
    life = LifecycleConfig(shadow_min_agreement=config.shadow_min_agreement, demote_below=config.demote_below)
    rules, outcomes, demoted = _run(_health, postgres.dsn(), life)
    for t in demoted:
        context.log.warning(f"{t.rule_id} demoted: {t.reason}")
    return MaterializeResult(metadata={
        "live_rules": len(rules), "demoted": len(demoted),
        "health": MetadataValue.json([{"rule_id": r["rule_id"], "status": r["status"],
                                       **{k: v for k, v in outcomes.get(r["rule_id"], {}).items() if k != "by_site"}}
                                      for r in rules]),
        "demotions": MetadataValue.json([{"rule_id": t.rule_id, "reason": t.reason} for t in demoted]),
    })


@asset(group_name=GROUP, kinds={"postgres"}, deps=[rule_health],
       description="The signed L1 rules bundle: builtin rules plus promoted rules at their stage (shadow ships as "
                   "`shadow`, canary as active on its sites, active fleet-wide), signed with Central Command's key as "
                   "the next version in Postgres `rule_bundles`, which GET /api/agent/sync serves at once. An "
                   "unchanged rule set is not re-signed.")
def rules_bundle(config: BundleConfig, postgres: PostgresResource) -> MaterializeResult:
    """Sign and store the bundle when the rules changed."""
    from datetime import timedelta

    signing_key = load_or_create_signing_key(Path(config.key_path) if config.key_path else None)
    published = _run(lambda conn: state.republish(conn, signing_key, expires_in=timedelta(days=config.expires_days)),
                     postgres.dsn())
    return MaterializeResult(metadata={
        "version": published.version, "published": published.published, "reason": published.reason,
        "digest": published.digest, "rules": published.rule_count,
    })


ASSETS = [flywheel_candidates, flywheel_promotions, rule_health, rules_bundle]
