"""Allowance registry: accounts, serial blocks, transactions, security rules, the transaction log."""
