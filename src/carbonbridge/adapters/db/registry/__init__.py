"""The registry's storage adapter: driver SQL for SQLite and PostgreSQL (`sql`, `rows`, `store`),
the table handles (`tables`) and `ledger.SqlLedger`, which implements the service layer's ledger
port (services/registry/ports.py) on top of them."""
