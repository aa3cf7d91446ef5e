"""Which server locations a text reveals: for the scan of every problem document of the API tests."""

from __future__ import annotations

from pathlib import Path


def server_paths_in(text: str) -> list[str]:
    """The server locations `text` reveals: where the package is installed (a checkout or
    site-packages), the repository, and the temporary folder (uploads are saved there)."""
    import tempfile

    import carbonbridge

    package = Path(carbonbridge.__file__).resolve().parent
    markers = {str(package), str(package.parent), str(Path(__file__).resolve().parents[1]), "site-packages"}
    markers.add(str(Path(tempfile.gettempdir()).resolve()) + "/")
    markers.add(tempfile.gettempdir() + "/")
    return sorted(m for m in markers if m in text)
