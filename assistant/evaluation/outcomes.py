"""The five outcomes of an evaluated question, named in one place.

``metrics`` decides a question's outcome, ``report`` prints it, ``chart`` colours it and the
web UI translates it; all of them take the names from here, so none imports another for them.
"""

from __future__ import annotations

CORRECT = "correct"
WRONG = "wrong"
FALSE_ABSTENTION = "false_abstention"
ABSTAINED_CORRECTLY = "abstained_correctly"
ANSWERED_UNANSWERABLE = "answered_unanswerable"

# outcome -> (label, colour); ColorBrewer Dark2 hues, distinct and legible under white text
OUTCOMES = {
    CORRECT: ("correct", "#1b9e77"),
    WRONG: ("wrong answer", "#d95f02"),
    FALSE_ABSTENTION: ("false abstention", "#e6ab02"),
    ABSTAINED_CORRECTLY: ("abstained correctly", "#7570b3"),
    ANSWERED_UNANSWERABLE: ("answered unanswerable", "#e7298a"),
}
# what the assistant got right: the others are failures a person should read
SUCCESSES = frozenset({CORRECT, ABSTAINED_CORRECTLY})
