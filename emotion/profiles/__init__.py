"""Adapting to a platform: a profile (thresholds and heads), labelling sessions, sampling, fitting."""
