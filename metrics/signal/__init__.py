"""Physiological-signal metrics (ECG, EDA, respiration, EEG): plausibility, fidelity, diversity, emotion content."""
