"""The Osiris appliance agent: checks drift, heals it (L1 → L2 → L3), and reports to Central Command.

Kept light to import: nothing heavy loads until it is used (see `benchmarks/agent_startup.py`).
Entry points: `agent.agent.Agent` (one appliance), `agent.simulation.Fleet` (many, in-process),
`agent.settings.load_settings`, `agent.runbooks.catalog()`.
"""

__version__ = "0.1.0"
