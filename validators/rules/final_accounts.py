"""final_accounts rules (see module owner)."""
