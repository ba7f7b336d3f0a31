"""Across documents: an archive of disclosures, department identity, cross-document relations."""

__all__ = ["Archive", "ArchiveError", "DocumentInfo", "archive_url", "default_location"]


def __getattr__(name):
    # The database layer (SQLAlchemy) is imported only when asked for: the CLI parser imports
    # archive.commands on every run, and a plain validate needs no database.
    if name in __all__:
        from . import db

        return getattr(db, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
