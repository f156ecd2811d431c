"""Windows domain deployment, as PowerShell run on a domain controller by the WinRM executor.

`dns_srv.register_srv` publishes the `_osiris-grpc._tcp` SRV record that lets Windows agents find
this appliance; `gpo.publish_gpo` installs the agent on domain computers through an idempotent GPO
startup script. Both are safe to repeat: a second run reports `unchanged` and changes nothing.
"""
