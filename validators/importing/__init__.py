"""Importing published disclosures (PDF converted to text) into the template workbook."""

from .seedtext import ImportError_, import_seed

__all__ = ["import_seed", "ImportError_"]
