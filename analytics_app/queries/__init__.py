"""Query functions the pages call: pure polars over the published marts, filtered by site and period.

One module per page (`overview`, `devices`, `vulnerabilities`, `hipaa`, `flywheel`, `evidence`,
`escalations`). Every function takes `analytics_app.data.Filters` and returns frames or plain values;
a function returns None when the mart it needs has not been published.
"""
