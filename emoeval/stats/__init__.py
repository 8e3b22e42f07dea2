"""Statistics over results tables: aggregation with confidence intervals (more arrives with later issues)."""
