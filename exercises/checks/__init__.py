"""One module per exercise: TITLE, HINTS (two, the second more specific) and check(learner)."""
