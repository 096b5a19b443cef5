"""Each lesson's definitions, saved by `make export` (course_utils/export.py)."""
