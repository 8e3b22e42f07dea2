"""Face metrics: identity preservation (more with the face-metrics issue)."""
