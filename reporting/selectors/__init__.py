"""Report reads. Each report is one function here, shared by the API, the web pages, the weekly
report and the alerts; each runs a small, fixed number of queries whatever the volume."""
