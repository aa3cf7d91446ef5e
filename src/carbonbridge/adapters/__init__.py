"""Adapters: storage, files and transports around the pure domain."""
