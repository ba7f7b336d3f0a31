"""Importing published disclosures (PDF converted to text) into the template workbook."""

from .seed import import_seed
from .seedtext import ImportError_

__all__ = ["import_seed", "ImportError_"]
