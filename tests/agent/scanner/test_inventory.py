"""The device inventory: files read strictly, hosts matched by MAC, IP or short host name."""

from __future__ import annotations

import json

import pytest

from agent.errors import InventoryError
from agent.scanner.inventory import Inventory
from agent.scanner.models import HostScan

DEVICES = {"devices": [
    {"name": "ehr-server", "ip": "192.168.1.10", "serves_ephi": True, "allowed_services": ["web", "database"]},
    {"name": "printer", "mac": "00:1B:A9:12:34:56", "serves_ephi": False},
    {"name": "dr-office", "hostname": "DR-OFFICE.clinic.local", "allowed_services": ["rdp"]},
]}


def test_inventory_json_and_toml_load_the_same(tmp_path):
    (tmp_path / "inv.json").write_text(json.dumps(DEVICES))
    (tmp_path / "inv.toml").write_text(
        '[[devices]]\nname = "ehr-server"\nip = "192.168.1.10"\nserves_ephi = true\n'
        'allowed_services = ["web", "database"]\n[[devices]]\nname = "printer"\nmac = "00:1B:A9:12:34:56"\n'
        'serves_ephi = false\n[[devices]]\nname = "dr-office"\nhostname = "DR-OFFICE.clinic.local"\n'
        'allowed_services = ["rdp"]\n')
    a, b = Inventory.load(tmp_path / "inv.json"), Inventory.load(tmp_path / "inv.toml")
    assert a.devices == b.devices and len(a) == 3
    assert a.devices[0].allows("database") and not a.devices[0].allows("rdp")


def test_inventory_matches_mac_then_ip_then_short_name(tmp_path):
    (tmp_path / "inv.json").write_text(json.dumps(DEVICES))
    inv = Inventory.load(tmp_path / "inv.json")
    assert inv.match(HostScan(ip="192.168.1.99", mac="00:1b:a9:12:34:56")).name == "printer"
    assert inv.match(HostScan(ip="192.168.1.10")).name == "ehr-server"
    assert inv.match(HostScan(ip="192.168.1.30", hostname="dr-office")).name == "dr-office"
    assert inv.match(HostScan(ip="192.168.1.31", hostname="kiosk.clinic.local")) is None


def test_inventory_from_targets_and_merge():
    targets = Inventory.from_targets([{"host": "10.0.0.4"}, {"host": "fileserver.clinic.local"}])
    assert targets.match(HostScan(ip="10.0.0.4")).name == "10.0.0.4"
    assert targets.match(HostScan(ip="10.0.0.5", hostname="FILESERVER")).name == "fileserver.clinic.local"
    assert len(Inventory().merged(targets)) == 2


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid"),
    ('["a"]', "'devices' list"),
    ('{"devices": {"name": "x"}}', "'devices' list"),
    ('{"devices": ["x"]}', "device 1: expected an object"),
    ('{"devices": [{"ip": "10.0.0.1"}]}', "'name' is required"),
    ('{"devices": [{"name": "a", "owner": "bob"}]}', "unknown field"),
    ('{"devices": [{"name": "a", "ip": "10.0.0.300"}]}', "not an IPv4"),
    ('{"devices": [{"name": "a", "ip": 7}]}', "must be a string"),
    ('{"devices": [{"name": "a", "serves_ephi": "yes"}]}', "true or false"),
    ('{"devices": [{"name": "a", "allowed_services": ["telnet"]}]}', "allowed_services"),
    ('{"devices": [{"name": "a", "allowed_services": [{"x": 1}]}]}', "allowed_services"),
])
def test_inventory_broken_files_raise_inventory_error(tmp_path, content, message):
    path = tmp_path / "inv.json"
    path.write_text(content)
    with pytest.raises(InventoryError, match=message):
        Inventory.load(path)


def test_inventory_unreadable_file_raises_inventory_error(tmp_path):
    with pytest.raises(InventoryError, match="cannot read"):
        Inventory.load(tmp_path / "missing.json")
    (tmp_path / "bad.toml").write_text("devices = [")
    with pytest.raises(InventoryError, match="not valid toml"):
        Inventory.load(tmp_path / "bad.toml")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InventoryError, match="not valid"):
        Inventory.load(tmp_path / "bin.json")
