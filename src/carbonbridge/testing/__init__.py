"""Test doubles and fixtures for tests, benchmarks and the demo; not product API."""
