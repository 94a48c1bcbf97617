"""Limits shared by the chat and the files that feed it, in a module that loads nothing."""

MAX_QUESTION_CHARS = 500  # longer input is refused: no real question needs more
