"""Decoding of media files shared by every model: images and audio, with per-sample errors."""
