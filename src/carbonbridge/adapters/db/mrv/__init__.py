"""MRV storage adapters: `reports.SqlReports`, the reports port (services/mrv/ports.py) on
SQLite and PostgreSQL through the ORM."""

from carbonbridge.adapters.db.mrv.reports import SqlReportBook, SqlReports

__all__ = ["SqlReportBook", "SqlReports"]
