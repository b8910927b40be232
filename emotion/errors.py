"""The project's one base error: each entry point catches ``EmotionError`` and prints its message."""


class EmotionError(Exception):
    """A problem the user can fix; the message says what was wrong and how to fix it (no stack trace)."""
