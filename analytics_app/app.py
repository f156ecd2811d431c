"""Osiris compliance reports: the entry script (`streamlit run analytics_app/app.py`, or `osiris ui`).

It declares the navigation and draws the filters every page shares; each page only renders what
`analytics_app.queries` returns for those filters.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics_app import ui

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="Osiris compliance", page_icon=":material/shield:", layout="wide")
page = st.navigation([st.Page(HERE / path, title=title, icon=icon, default=i == 0)
                      for i, (path, title, icon) in enumerate(ui.PAGES)])
ui.sidebar()
page.run()
