"""Translation helpers. Message ids are Chinese (the UI is Chinese-first); English lives in the
catalog ``app/translations/en``. Templates and request code translate with ``_`` (gettext), form
classes with ``_l`` (lazy_gettext), and constant tables mark their labels with :func:`N_`."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext_noop name, a default pybabel keyword
    """Mark ``message`` for extraction without translating it; translate it where it is shown."""
    return message
