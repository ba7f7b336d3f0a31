"""The one exception of the marking package: its message is Chinese and meant for the user."""

from __future__ import annotations


class MarkingError(Exception):
    """The workbook cannot be marked or cleared safely; ``str(exc)`` is a Chinese sentence."""
