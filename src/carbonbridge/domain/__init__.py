"""Pure domain rules: no I/O, no clock, no randomness, no database or HTTP imports."""
