"""Sales reporting and analytics: win probability, forecasts, pipeline analytics, the sales
report, performance metrics and dashboards.

Each report is a pure module (the numbers, from small fact rows; unit-tested by hand) and a
facts module beside it that reads those rows from PostgreSQL with grouped, tenant-scoped SQL,
never by loading entities into Python. README: Sales forecasts and pipeline analytics;
Sales reports.
"""
