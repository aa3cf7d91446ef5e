"""The `carbonbridge` command line (Typer). Heavy imports happen inside commands.

Modules that define commands do not use `from __future__ import annotations`: Typer resolves
the annotations of every command on every invocation, and string annotations made it compile
some 1,400 of them each time (about 0.1 s of CPU before any command starts).
"""
