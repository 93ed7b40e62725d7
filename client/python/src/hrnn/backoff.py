"""The client's retry backoff (as client/internal/backoff.h in C++): exponential, capped, with
jitter. A stateless function; thread-safe."""

import random
from typing import Optional


def retry_backoff(retry: int, initial: float, maximum: float,
                  rng: Optional[random.Random] = None) -> float:
    """The sleep in seconds before retry `retry` (1 = the first retry):
    min(initial * 2^(retry-1), maximum), scaled by a uniform factor in [0.5, 1.0].
    REQUIRES: retry >= 1, 0 < initial <= maximum."""
    base = min(initial * (2.0 ** min(retry - 1, 62)), maximum)
    return base * (rng or random).uniform(0.5, 1.0)
