"""Fuzzing the agent's parser of nmap's XML report: every input parses or raises ScanError.

The samples are the recorded reports in tests/vectors/scanner (a LAN sweep and a service scan); the
mutations flip, cut and splice their bytes, so the parser sees truncated elements, broken attributes,
non-UTF-8 and odd port numbers rather than only random noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import ScanError
from agent.scanner.nmap_xml import parse_nmap_xml
from tests.hardening._fuzz import FUZZ, byte_mutations

pytestmark = pytest.mark.timeout(120)

SAMPLES = [p.read_bytes() for p in sorted((Path(__file__).resolve().parent.parent / "vectors" / "scanner").glob("*.xml"))]
_SPLICES = [b'<port protocol="tcp" portid="99999999999999999999"><state state="open"/></port>',
            b'<port protocol="tcp" portid="-1"><state state="open"/></port>',
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>']


@st.composite
def _spliced(draw: st.DrawFn) -> bytes:
    sample = draw(st.sampled_from(SAMPLES))
    at = draw(st.integers(0, len(sample)))
    return sample[:at] + draw(st.sampled_from(_SPLICES)) + sample[at:]


@FUZZ
@given(data=st.one_of(st.binary(max_size=256), _spliced(), *(byte_mutations(s) for s in SAMPLES)))
def test_parse_nmap_xml_hostile_bytes_scan_error(data):
    try:
        parse_nmap_xml(data)
    except ScanError:
        pass


def test_fuzz_samples_are_valid():
    assert SAMPLES and all(parse_nmap_xml(s) for s in SAMPLES)
