"""Choosing the next token from a model's scores (logits): greedy, temperature and top-k.

    probs = softmax(logits / temperature)     temperature < 1 sharpens, > 1 flattens
    top-k: keep only the k largest logits, renormalise, sample among those
    temperature 0: no sampling at all, always the most likely token (greedy)

All helpers work on one step's logits (a 1-D array) in NumPy, so every lesson that
generates text (characters, words, captions, translations) can share them.
"""

from __future__ import annotations

import numpy as np

from course_utils import CourseError


def check_settings(temperature: float, top_k: int | None) -> None:
    """Raise a one-line ``CourseError`` for a negative temperature or a top-k below 1."""
    if temperature < 0:
        raise CourseError(f"temperature must be 0 (greedy) or more, got {temperature}")
    if top_k is not None and top_k < 1:
        raise CourseError(f"top-k must be 1 or more, got {top_k}")


def top_k_filter(logits, k: int | None) -> np.ndarray:
    """Logits with everything below the k-th largest set to -inf (ties at the k-th are kept)."""
    logits = np.asarray(logits, dtype=np.float64)
    if k is None or k >= logits.shape[-1]:
        return logits
    kth = np.partition(logits, -k)[-k]
    return np.where(logits >= kth, logits, -np.inf)


def probabilities(logits, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """softmax(logits / temperature) after the top-k filter; temperature 0 gives a one-hot argmax."""
    check_settings(temperature, top_k)
    logits = top_k_filter(logits, top_k)
    if temperature == 0:
        probs = np.zeros_like(logits)
        probs[int(np.argmax(logits))] = 1.0
        return probs
    scaled = logits / temperature
    scaled = scaled - np.max(scaled)  # the largest becomes exp(0) = 1: no overflow for tiny temperatures
    weights = np.exp(scaled)
    return weights / weights.sum()


def sample(logits, rng: np.random.Generator, temperature: float = 1.0, top_k: int | None = None) -> int:
    """The index of the next token: argmax when temperature is 0, else a draw from ``probabilities``."""
    if temperature == 0:
        check_settings(temperature, top_k)
        return int(np.argmax(logits))
    probs = probabilities(logits, temperature, top_k)
    return int(rng.choice(probs.shape[-1], p=probs))
