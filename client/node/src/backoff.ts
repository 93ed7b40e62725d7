// The client's retry backoff (as client/internal/backoff.h in C++): exponential, capped, with
// jitter.

/**
 * The sleep in milliseconds before retry `retry` (1 = the first retry):
 * min(initialMs * 2^(retry-1), maxMs), scaled by a uniform factor in [0.5, 1.0].
 * `random` returns values in [0, 1) (Math.random by default).
 */
export function retryBackoffMs(retry: number, initialMs: number, maxMs: number,
                               random: () => number = Math.random): number {
  const base = Math.min(initialMs * 2 ** Math.min(retry - 1, 62), maxMs);
  return base * (0.5 + 0.5 * random());
}
