"""Osiris's own certificate authority: ECDSA P-256, agent certificates for gRPC mutual TLS."""
