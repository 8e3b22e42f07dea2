"""Speech metrics: speaker similarity (more with the speech-metrics issue)."""
