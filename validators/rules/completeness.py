"""completeness rules (see module owner)."""
