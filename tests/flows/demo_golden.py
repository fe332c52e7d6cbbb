"""The demo's outputs by content, to compare a layout of the code with the previous one.

`outputs(data_dir)` reads what the demo leaves in a data folder: every CSV report, every e-mail
(recipients, subject, body, attachment names) and the text of the PDFs of a few sessions (every
document kind, every invoice kind, a self-billed invoice), normalized: the data folder's path
written `<data>`, links to runs in the Prefect UI left out. (Dates need no normalizing: the demo
runs on its own simulated clock.) `tests/flows/demo_golden.json` holds the SHA-256 of each,
made with the layout of the code before a refactoring; the demo test compares
(tests/flows/test_demo.py). A change
that means to change what the demo produces makes it again:

    .venv/bin/python -m tests.flows.demo_golden DATA_DIR    # after `backoffice demo` there

and says why in its commit.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from email import message_from_bytes, policy
from pathlib import Path

from pypdf import PdfReader

GOLDEN = Path(__file__).with_name("demo_golden.json")
# Sessions of each story: billed to the company, billed to its OPCO (Atlas), split between the
# OPCO (Uniformation) and the company; and every self-billed trainer invoice.
SESSIONS = ("S-2026-0001", "S-2026-0003", "S-2026-0014")


def outputs(data_dir: Path) -> dict[str, str]:
    """name → normalized text of each output compared."""
    found: dict[str, str] = {}
    folder = str(data_dir)
    for path in sorted((data_dir / "output" / "report").glob("*.csv")):
        found[f"report/{path.name}"] = path.read_text(encoding="utf-8")
    for path in sorted((data_dir / "outbox").glob("*.eml")):
        found[f"email/{path.name}"] = _email_text(path.read_bytes())
    for path in _sampled_pdfs(data_dir / "output"):
        text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
        found[f"pdf/{path.relative_to(data_dir / 'output')}"] = text
    return {name: _normalized(text, folder) for name, text in found.items()}


def _normalized(text: str, folder: str) -> str:
    """The data folder written `<data>`; the link to a run in the Prefect UI (its address and
    the run's id change at every run) left out."""
    return re.sub(r"\s*Le run dans l'interface Prefect : \S*", "", text.replace(folder, "<data>"))


def _email_text(data: bytes) -> str:
    message = message_from_bytes(data, policy=policy.default)
    attachments = sorted(part.get_filename() or "" for part in message.iter_attachments())
    return "\n".join([f"To: {message['To']}", f"Cc: {message['Cc'] or ''}",
                      f"Subject: {message['Subject']}", f"Attachments: {attachments}", "",
                      message.get_body(preferencelist=("plain",)).get_content()])


def _sampled_pdfs(output: Path) -> list[Path]:
    pdfs = [path for session in SESSIONS
            for path in sorted((output / "documents" / session).rglob("*.pdf"))]
    with (output / "report" / "invoices.csv").open(encoding="utf-8", newline="") as handle:
        pdfs += [output / row["pdf_path"] for row in csv.DictReader(handle)
                 if row["session_ref"] in SESSIONS and row["pdf_path"]]
    return pdfs + sorted((output / "self-billing").rglob("*.pdf"))


def digests(texts: dict[str, str]) -> dict[str, str]:
    return {name: hashlib.sha256(text.encode("utf-8")).hexdigest()
            for name, text in sorted(texts.items())}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(digests(outputs(Path(sys.argv[1]))), indent=1) + "\n",
                      encoding="utf-8")
    print(f"écrit : {GOLDEN}")
