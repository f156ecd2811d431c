-- Tell every listening server about new evidence ($1 channel, $2 JSON); delivered at commit only.
SELECT pg_notify($1, $2)
