"""Match software inventory (device_id, CPE) against NVD `cpeMatch` configurations.

Semantics follow NVD: a configuration is nodes joined by its operator (OR unless AND); a node is
cpeMatch entries joined by its operator, optionally negated; an entry matches an installed CPE when
part / vendor / product / the other attributes agree (`*` = any, `-` = not applicable) and the
version equals the pinned one or lies inside the entry's inclusive / exclusive bounds (compared
with `version_key`, not as strings). Only `vulnerable` entries are reported: the others name the
platform an AND configuration needs (Firefox *on Windows*), so they must be present but are not
themselves vulnerable.

Speed comes from never walking the devices x CVEs product: entries are indexed by (part, vendor,
product[, version]), each distinct installed CPE is checked once against its few candidates, and
configurations are evaluated on boolean device masks (numpy) for all devices at once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from warehouse.cpe import ANY, NA, Cpe, compare_versions, has_wildcard, parse_cpe, version_key, wildcard_regex
from warehouse.errors import CpeParseError, InventoryError

__all__ = ["CveIndex", "Entry", "compare_versions", "entry_matches", "match_inventory", "match_naive",
           "parse_cpe", "read_inventory", "version_key"]
_BOUNDS = ("version_start_including", "version_start_excluding", "version_end_including", "version_end_excluding")


class Entry(NamedTuple):
    """One distinct cpeMatch test: the criteria CPE and its version bounds as sort keys."""

    cpe: Cpe
    start_incl: tuple | None
    start_excl: tuple | None
    end_incl: tuple | None
    end_excl: tuple | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Entry:
        """Build from a flat `cpe_matches` row (see warehouse.feeds.nvd.CPE_MATCH_SCHEMA)."""
        keys = [version_key(row[b]) if row.get(b) else None for b in _BOUNDS]
        return cls(parse_cpe(row["criteria"]), *keys)


def _attr_ok(want: str, have: str) -> bool:
    if want == ANY or want == have:
        return True
    if have in (ANY, NA) or not has_wildcard(want):
        return False
    return wildcard_regex(want).fullmatch(have) is not None


def entry_matches(entry: Entry, cpe: Cpe) -> bool:
    """True when an installed CPE satisfies one cpeMatch entry (attributes and version bounds)."""
    want = entry.cpe
    for i in (0, 1, 2, 4, 5, 6, 7, 8, 9, 10):
        if not _attr_ok(want[i], cpe[i]):
            return False
    version = cpe.version
    if want.version != ANY and not _attr_ok(want.version, version):
        return False
    if entry.start_incl is None and entry.start_excl is None and entry.end_incl is None and entry.end_excl is None:
        return True
    # A range needs a concrete installed version: "some version" cannot be placed in it.
    if version in (ANY, NA) or has_wildcard(version):
        return False
    key = version_key(version)
    return not ((entry.start_incl is not None and key < entry.start_incl)
                or (entry.start_excl is not None and key <= entry.start_excl)
                or (entry.end_incl is not None and key > entry.end_incl)
                or (entry.end_excl is not None and key >= entry.end_excl))


class _Config(NamedTuple):
    cve_id: str
    operator: str
    negate: bool
    nodes: list[tuple[str, bool, list[tuple[int, bool]]]]  # (operator, negate, [(entry id, vulnerable)])


def _configs(rows: Iterable[Mapping[str, Any]], entry_id: Any) -> list[_Config]:
    grouped: dict[tuple[str, int], _Config] = {}
    nodes: dict[tuple[str, int, int], list[tuple[int, bool]]] = {}
    for row in rows:
        key = (row["cve_id"], int(row["config_index"]))
        if key not in grouped:
            grouped[key] = _Config(row["cve_id"], (row.get("config_operator") or "OR").upper(),
                                   bool(row.get("config_negate")), [])
        nkey = (*key, int(row["node_index"]))
        if nkey not in nodes:
            nodes[nkey] = []
            grouped[key].nodes.append(((row.get("operator") or "OR").upper(), bool(row.get("negate")), nodes[nkey]))
        nodes[nkey].append((entry_id(row), bool(row.get("vulnerable", True))))
    return list(grouped.values())


class CveIndex:
    """cpeMatch entries indexed for matching many devices at once; build once, match many times."""

    def __init__(self, cpe_matches: Iterable[Mapping[str, Any]], scores: Mapping[str, float | None] | None = None):
        self.scores = dict(scores or {})
        self.entries: list[Entry] = []
        ids: dict[Entry, int] = {}

        def entry_id(row: Mapping[str, Any]) -> int:
            entry = Entry.from_row(row)
            if entry not in ids:
                ids[entry] = len(self.entries)
                self.entries.append(entry)
            return ids[entry]

        self.configs = _configs(cpe_matches, entry_id)
        self._pinned: dict[tuple[str, str, str, str], list[int]] = {}
        self._by_product: dict[tuple[str, str, str], list[int]] = {}
        self._scan: list[int] = []  # entries with a wildcard part/vendor/product: checked against all
        for eid, entry in enumerate(self.entries):
            c = entry.cpe
            if any(v == ANY or has_wildcard(v) for v in (c.part, c.vendor, c.product)):
                self._scan.append(eid)
            elif c.version not in (ANY, NA) and not has_wildcard(c.version):
                self._pinned.setdefault((c.part, c.vendor, c.product, c.version), []).append(eid)
            else:
                self._by_product.setdefault((c.part, c.vendor, c.product), []).append(eid)
        self.cve_ids = sorted({config.cve_id for config in self.configs})
        self._cve_rank = {cve: i for i, cve in enumerate(self.cve_ids)}
        self._configs_of: dict[int, list[int]] = {}
        for ci, config in enumerate(self.configs):
            for _, _, members in config.nodes:
                for eid, vulnerable in members:
                    if vulnerable:
                        self._configs_of.setdefault(eid, []).append(ci)

    @classmethod
    def from_records(cls, records: Any) -> CveIndex:
        """From `warehouse.feeds.nvd.NvdRecords` (cves rows give each CVE's best CVSS score)."""
        return cls(records.cpe_matches, {c["cve_id"]: c["cvss_score"] for c in records.cves})

    def entries_for(self, cpe: Cpe) -> list[int]:
        """Ids of the entries an installed CPE satisfies."""
        candidates = (self._pinned.get((cpe.part, cpe.vendor, cpe.product, cpe.version), [])
                      + self._by_product.get((cpe.part, cpe.vendor, cpe.product), []) + self._scan)
        return [eid for eid in candidates if entry_matches(self.entries[eid], cpe)]

    def _match_codes(self, inventory: Iterable[tuple[str, str]]) -> tuple[list[str], list[str], np.ndarray]:
        """Matches as (device names, installed CPE texts, int array of [device, cve, cpe] rows),
        each index being a rank in sorted order, rows sorted and distinct."""
        devices: dict[str, int] = {}
        cpes: dict[Cpe, tuple[str, list[int]]] = {}
        for n, (device_id, text) in enumerate(inventory, 1):
            try:
                cpe = parse_cpe(text)
            except CpeParseError as exc:
                raise InventoryError(f"inventory row {n}: {exc}") from exc
            dev = devices.setdefault(device_id, len(devices))
            cpes.setdefault(cpe, (text, []))[1].append(dev)
        ndev = len(devices)
        cpe_list = list(cpes.items())
        holders = [np.unique(np.asarray(devs, dtype=np.int64)) for _, (_, devs) in cpe_list]
        hits: dict[int, list[int]] = {}  # entry id -> distinct installed CPEs (indexes) satisfying it
        for ci, (cpe, _) in enumerate(cpe_list):
            for eid in self.entries_for(cpe):
                hits.setdefault(eid, []).append(ci)
        masks: dict[int, np.ndarray] = {}
        none = np.zeros(ndev, dtype=bool)

        def mask(eid: int) -> np.ndarray:
            if eid not in masks:
                m = np.zeros(ndev, dtype=bool)
                for ci in hits[eid]:
                    m[holders[ci]] = True
                masks[eid] = m
            return masks[eid]

        found_devs: list[np.ndarray] = []
        found_at: list[tuple[int, int, int]] = []  # (cve rank, installed CPE index, count) per chunk
        for cfg_id in sorted({c for eid in hits for c in self._configs_of.get(eid, [])}):
            config = self.configs[cfg_id]
            node_masks = []
            for op, negate, members in config.nodes:
                # Entries no installed CPE satisfies are all-False: skip them rather than stack
                # hundreds of empty masks (old records pin every Firefox version one by one).
                present = [mask(eid) for eid, _ in members if eid in hits]
                if op == "AND" and len(present) < len(members) or not present:
                    m = none
                else:
                    m = present[0] if len(present) == 1 else (
                        np.logical_and.reduce(present) if op == "AND" else np.logical_or.reduce(present))
                node_masks.append(~m if negate else m)
            cmask = (np.logical_and.reduce(node_masks) if config.operator == "AND"
                     else np.logical_or.reduce(node_masks))
            if config.negate:
                cmask = ~cmask
            if not cmask.any():
                continue
            cve = self._cve_rank[config.cve_id]
            for (_, negate, members), nmask in zip(config.nodes, node_masks, strict=True):
                if negate:
                    continue  # a negated node's entries describe what must be absent
                both = cmask & nmask
                for eid, vulnerable in members:
                    for ci in hits.get(eid, []) if vulnerable else []:
                        devs = holders[ci][both[holders[ci]]]
                        if len(devs):
                            found_devs.append(devs)
                            found_at.append((cve, ci, len(devs)))
        names = sorted(devices)
        texts = sorted(text for text, _ in cpes.values())
        if not found_devs:
            return names, texts, np.zeros((0, 3), dtype=np.int64)
        # Re-code devices and CPEs by rank so that sorting the integers sorts the strings, then
        # sort and de-duplicate once on a single int64 key (a CVE may match through two configs).
        dev_rank = np.empty(ndev, dtype=np.int64)
        dev_rank[[devices[n] for n in names]] = np.arange(ndev)
        text_rank = {t: i for i, t in enumerate(texts)}
        cpe_rank = np.array([text_rank[text] for text, _ in cpes.values()], dtype=np.int64)
        meta = np.array(found_at, dtype=np.int64)
        d = dev_rank[np.concatenate(found_devs)]
        c = np.repeat(meta[:, 0], meta[:, 2])
        p = np.repeat(cpe_rank[meta[:, 1]], meta[:, 2])
        ncve, ncpe = len(self.cve_ids), len(texts)
        if ndev * ncve * ncpe < 2**62:
            key = np.unique((d * ncve + c) * ncpe + p)
            return names, texts, np.stack([key // (ncve * ncpe), key // ncpe % ncve, key % ncpe], 1)
        return names, texts, np.unique(np.stack([d, c, p], 1), axis=0)  # too many for one key

    def match(self, inventory: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
        """Every (device, CVE, installed CPE) the configurations make vulnerable, sorted."""
        names, texts, rows = self._match_codes(inventory)
        scores = [self.scores.get(c) for c in self.cve_ids]
        return [{"device_id": names[d], "cve_id": self.cve_ids[c], "cpe": texts[p], "cvss": scores[c]}
                for d, c, p in rows.tolist()]

    def match_table(self, inventory: Iterable[tuple[str, str]]) -> Any:
        """The same matches as a `pyarrow.Table` (device_id, cve_id, cpe, cvss), built column-wise."""
        import pyarrow as pa

        names, texts, rows = self._match_codes(inventory)
        return pa.table({
            "device_id": pa.array(names, pa.string()).take(pa.array(rows[:, 0])),
            "cve_id": pa.array(self.cve_ids, pa.string()).take(pa.array(rows[:, 1])),
            "cpe": pa.array(texts, pa.string()).take(pa.array(rows[:, 2])),
            "cvss": pa.array([self.scores.get(c) for c in self.cve_ids], pa.float64()).take(pa.array(rows[:, 1])),
        })

    def json_lines(self, inventory: Iterable[tuple[str, str]]) -> Iterator[str]:
        """The matches as compact JSON lines (the `osiris cve match` output), without building dicts."""
        names, texts, rows = self._match_codes(inventory)
        enc_names = [json.dumps(n) for n in names]
        enc_cves = [json.dumps(c) for c in self.cve_ids]
        enc_scores = [json.dumps(self.scores.get(c)) for c in self.cve_ids]
        enc_texts = [json.dumps(t) for t in texts]
        for d, c, p in rows.tolist():
            yield (f'{{"device_id":{enc_names[d]},"cve_id":{enc_cves[c]},"cpe":{enc_texts[p]},'
                   f'"cvss":{enc_scores[c]}}}')


def match_inventory(records: Any, inventory: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Match inventory pairs against `NvdRecords`: `[{"device_id", "cve_id", "cpe", "cvss"}]`."""
    return CveIndex.from_records(records).match(inventory)


def match_naive(records: Any, inventory: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The same answer by brute force (every device x every configuration x every entry x every
    installed CPE): the reference the indexed matcher is tested and benchmarked against."""
    index = CveIndex.from_records(records)
    by_device: dict[str, list[tuple[str, Cpe]]] = {}
    for device_id, text in inventory:
        by_device.setdefault(device_id, []).append((text, parse_cpe(text)))
    found: set[tuple[str, str, str]] = set()
    for device_id, installed in by_device.items():
        for config in index.configs:
            sat = []
            for op, negate, members in config.nodes:
                ok = [any(entry_matches(index.entries[e], c) for _, c in installed) for e, _ in members]
                sat.append((all(ok) if op == "AND" else any(ok)) != negate)
            if (all(sat) if config.operator == "AND" else any(sat)) == config.negate:
                continue
            for (_, negate, members), node_ok in zip(config.nodes, sat, strict=True):
                if negate or not node_ok:
                    continue
                for e, vulnerable in members:
                    for text, c in installed:
                        if vulnerable and entry_matches(index.entries[e], c):
                            found.add((device_id, config.cve_id, text))
    rows = [{"device_id": d, "cve_id": cve, "cpe": t, "cvss": index.scores.get(cve)} for d, cve, t in found]
    rows.sort(key=lambda r: (r["device_id"], r["cve_id"], r["cpe"]))
    return rows


def read_inventory(source: str | Path | io.TextIOBase) -> list[tuple[str, str]]:
    """A CSV with `device_id,cpe` columns (header required, extra columns ignored) as pairs."""
    try:
        handle = open(source, newline="", encoding="utf-8") if isinstance(source, str | Path) else source
    except OSError as exc:
        raise InventoryError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    try:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"device_id", "cpe"} <= {f.strip() for f in reader.fieldnames}:
            raise InventoryError(f"inventory needs a header with device_id and cpe, got {reader.fieldnames}")
        pairs = []
        for row in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str | None)}
            if not row.get("device_id") and not row.get("cpe"):
                continue
            if not row.get("device_id") or not row.get("cpe"):
                raise InventoryError(f"inventory line {reader.line_num}: device_id and cpe are both required")
            try:
                parse_cpe(row["cpe"])
            except CpeParseError as exc:
                raise InventoryError(f"inventory line {reader.line_num}: {exc}") from exc
            pairs.append((row["device_id"], row["cpe"]))
        return pairs
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InventoryError(f"inventory is not a readable CSV: {exc}") from exc
    finally:
        if isinstance(source, str | Path):
            handle.close()
