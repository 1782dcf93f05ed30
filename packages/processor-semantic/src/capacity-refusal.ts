/**
 * Whether a failed classification request says the classifier had no capacity or time for it — the
 * signal adaptive sampling lowers the ratio on: refused for its rate limit (`rate_limited`, endpoints
 * saturated), not started because it could not finish by the deadline (`deadline_exceeded`), or out of
 * time (`timeout`, `aborted`). Quota, credentials, open circuits and bad requests are not load: sampling
 * less would not help them, and those spans leave at once anyway.
 */
export function isCapacityRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { kind, code } = error as { kind?: unknown; code?: unknown };
  return code === 'deadline_exceeded' || kind === 'rate_limited' || kind === 'timeout' || kind === 'aborted';
}
