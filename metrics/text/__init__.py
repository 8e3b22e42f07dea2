"""Text and dialogue metrics: diversity (more with the text-metrics issue)."""
