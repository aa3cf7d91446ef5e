"""The `carbonbridge` command line (Typer). Heavy imports happen inside commands."""
