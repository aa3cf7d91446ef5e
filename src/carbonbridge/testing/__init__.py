"""Test doubles and fixtures that tests and benchmarks import (not used by the product itself)."""
