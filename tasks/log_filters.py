"""The logging filter that masks IBANs and e-mail addresses (backoffice/masking.py) in every record
that reaches the console or the Prefect API; installed on those handlers by logging.yml.

It imports nothing from Prefect: Prefect builds its logging from logging.yml while it is being
imported itself.
"""

from __future__ import annotations

import logging

from backoffice.masking import mask_text


class MaskPersonalData(logging.Filter):
    """Rewrites the record's message (and traceback text) with IBANs and e-mails masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
