"""The HTTP API (`carbonbridge serve`): FastAPI over the same service layer as the CLI."""
