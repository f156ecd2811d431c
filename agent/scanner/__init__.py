"""The appliance's network scanner: ranges from settings (or the appliance's own subnets), nmap over them.

Modules: `ranges` (which addresses may be scanned, and the guard that refuses everything else),
`nmap_scan` (python-nmap over the nmap binary, imported only when a scan runs; results as
`HostScan`), `inventory` (the devices the office says it has), `run` (scan -> SQLite -> the HIPAA
network checks in `agent.network_checks` -> telemetry). Importing this package loads no nmap.
"""
