"""Cap setting and free allocation: absolute caps (EU style) and intensity benchmarks (CN style).

Allowances are whole units (int); intermediate figures are Decimal so that a hand calculation
on paper gives the same number. Rules and benchmark values are configuration
(`data/allocation/*.toml`), parsed into the frozen rule objects of these modules.
"""
