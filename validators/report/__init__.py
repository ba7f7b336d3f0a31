"""Findings → text for people, JSON/JUnit/SARIF for machines, HTML and xlsx summaries for batches."""

from .text import render_text
from .jsonout import render_json
from .junit import render_junit
from .sarif import render_sarif
from .html import render_html

__all__ = ["render_text", "render_json", "render_junit", "render_sarif", "render_html", "write_xlsx"]


def __getattr__(name: str):
    if name == "write_xlsx":  # imports openpyxl: only when asked for
        from .xlsx import write_xlsx

        return write_xlsx
    raise AttributeError(name)
