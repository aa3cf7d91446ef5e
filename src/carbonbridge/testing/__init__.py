"""Fixtures for tests, benchmarks and the demo, set up through the real use cases; not product API."""
