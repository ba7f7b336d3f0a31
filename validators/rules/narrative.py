"""narrative rules (see module owner)."""
