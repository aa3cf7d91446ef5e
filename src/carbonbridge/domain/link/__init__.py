"""The link between two sovereign registries: agreement, signed messages, protocol, reconciliation."""
