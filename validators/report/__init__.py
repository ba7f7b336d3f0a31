"""Findings → text for people, JSON/JUnit/SARIF for machines, HTML and xlsx summaries for batches.

Each renderer is imported when first asked for (a run that prints text never loads the HTML,
JUnit or SARIF writers, and write_xlsx alone imports openpyxl)."""

from importlib import import_module

__all__ = ["render_text", "render_json", "render_junit", "render_sarif", "render_html", "write_xlsx"]

_WHERE = {"render_text": ".text", "render_json": ".jsonout", "render_junit": ".junit", "render_sarif": ".sarif",
          "render_html": ".html", "write_xlsx": ".xlsx"}


def __getattr__(name: str):
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(name)
    value = getattr(import_module(where, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
