"""The gRPC face of Central Command: the `ComplianceAgent` servicer over mutual TLS from the internal CA."""
