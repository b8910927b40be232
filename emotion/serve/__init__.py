"""The serving path: a checkpoint read into answers, in every runner (library, score.py, Ray, app)."""
