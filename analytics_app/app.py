"""Osiris compliance reports: the entry script (`streamlit run analytics_app/app.py`, or `osiris ui`).

It declares the navigation and draws the filters every page shares; each page only renders what
`analytics_app.queries` returns for those filters.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics_app import ui
from analytics_app.errors import AnalyticsError

HERE = Path(__file__).resolve().parent
PAGES = [
    ("pages/overview.py", "Overview", ":material/dashboard:"),
    ("pages/sites_devices.py", "Sites and devices", ":material/devices:"),
    ("pages/vulnerabilities.py", "Vulnerabilities", ":material/bug_report:"),
    ("pages/hipaa.py", "HIPAA safeguards", ":material/health_and_safety:"),
    ("pages/flywheel.py", "Flywheel", ":material/autorenew:"),
    ("pages/evidence.py", "Evidence", ":material/verified:"),
    ("pages/escalations.py", "Escalations", ":material/notifications_active:"),
]

st.set_page_config(page_title="Osiris compliance", page_icon=":material/shield:", layout="wide")
page = st.navigation([st.Page(HERE / path, title=title, icon=icon, default=i == 0)
                      for i, (path, title, icon) in enumerate(PAGES)])
try:
    ui.sidebar()
    page.run()
except AnalyticsError as exc:
    # A mart that cannot be read or lacks a column is a message with a next step, not a traceback.
    st.error(str(exc))
