"""Market use cases: cash ledger, participants, auctions, exchange, settlement, MSR, market data."""
