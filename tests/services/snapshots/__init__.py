"""HTML snapshots of the document templates: `UPDATE_SNAPSHOTS=1 pytest` rewrites them after a
deliberate change of a template; review the diff before committing."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER = Path(__file__).parent


def check_snapshot(name: str, html: str) -> None:
    path = FOLDER / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"
