"""Across documents: an archive of disclosures, department identity, cross-document relations."""

from .db import Archive, ArchiveError, DocumentInfo, archive_url, default_location

__all__ = ["Archive", "ArchiveError", "DocumentInfo", "archive_url", "default_location"]
