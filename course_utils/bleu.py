"""BLEU with several references per sentence, through sacreBLEU (the standard tool)."""

from __future__ import annotations


def reference_streams(references: list[list[str]]) -> list[list[str | None]]:
    """Turn each sentence's own list of references into sacreBLEU's layout.

    sacreBLEU wants one stream per reference *position* (all first references, all second
    references, ...); a sentence with fewer references than the most has ``None`` there.
    """
    width = max(len(refs) for refs in references)
    return [[refs[i] if i < len(refs) else None for refs in references] for i in range(width)]
