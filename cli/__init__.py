"""The `osiris` command line: `cli/main.py` is the entry point, one module per command group."""
