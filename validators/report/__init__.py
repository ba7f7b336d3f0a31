"""Findings → text for people, JSON for machines."""

from .text import render_text
from .jsonout import render_json

__all__ = ["render_text", "render_json"]
