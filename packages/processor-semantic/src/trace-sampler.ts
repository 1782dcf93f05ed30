const randomnessHexDigits = 14;
const randomnessRange = 2 ** 56;

/**
 * Decides on the trace id alone, so every GenAI span of a trace gets the same decision on
 * every replica. Uses the rightmost 56 bits, which W3C Trace Context level 2 makes random
 * and which OpenTelemetry's consistent probability sampling also reads.
 */
export function isTraceSampledIn(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  const randomness = Number.parseInt(traceId.slice(-randomnessHexDigits), 16);
  if (!Number.isFinite(randomness)) return true;
  return randomness < ratio * randomnessRange;
}
