"""MRV: monitoring plans, emission calculation (three EU MRR method families), verification."""
