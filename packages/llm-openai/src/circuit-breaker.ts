export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Failures in a row that open the circuit. */
  failureThreshold: number;
  /** First open period; it doubles each time a half-open probe fails, up to `maxCooldownMs`. */
  cooldownMs: number;
  maxCooldownMs: number;
  now?: () => number;
  onStateChange?: (state: CircuitState, reason: string) => void;
}

/**
 * The health of one endpoint. Closed: requests flow. After `failureThreshold` failures in a row
 * (5xx, timeouts, connection errors) it opens: no request is sent for the cooldown. Then it is
 * half-open: exactly one probe may go; its success closes the circuit, its failure opens it again
 * for twice as long. `openFor` opens it at once for a given time (quota exhausted, a long retry-after).
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private opened = false;
  private probing = false;
  private cooldown: number;
  private reasonText = '';
  private reported: CircuitState = 'closed';
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
    this.cooldown = options.cooldownMs;
  }

  get state(): CircuitState {
    const state: CircuitState = !this.opened ? 'closed' : this.now() < this.openUntil ? 'open' : 'half_open';
    this.report(state);
    return state;
  }

  /** Why the circuit is open (the last failure), for error messages. */
  get reason(): string {
    return this.reasonText;
  }

  /** Milliseconds until the next probe may go (0 when closed or half-open). */
  get remainingOpenMs(): number {
    return this.state === 'open' ? this.openUntil - this.now() : 0;
  }

  /** Whether a request may be sent now, without taking the probe slot. */
  get available(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half_open' && !this.probing);
  }

  /**
   * Takes permission to send: always when closed; in half-open, only the one probe.
   * Every `true` must be followed by `recordSuccess`, `recordFailure`, `openFor` or `releaseProbe`.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half_open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.probing = false;
    this.opened = false;
    this.cooldown = this.options.cooldownMs;
    this.report('closed');
  }

  recordFailure(reason: string): void {
    this.reasonText = reason;
    const state = this.state;
    if (state === 'half_open' && this.probing) {
      this.probing = false;
      this.cooldown = Math.min(this.options.maxCooldownMs, this.cooldown * 2);
      this.open(this.cooldown);
      return;
    }
    if (state !== 'closed') return;
    this.failures += 1;
    if (this.failures >= this.options.failureThreshold) this.open(this.cooldown);
  }

  /** Opens the circuit for `milliseconds` whatever its state (quota exhausted, retry-after too long). */
  openFor(milliseconds: number, reason: string): void {
    this.reasonText = reason;
    this.probing = false;
    this.open(Math.max(this.openUntil - this.now(), milliseconds));
  }

  /** The probe ended without telling anything about the endpoint's health (aborted, a bad request). */
  releaseProbe(): void {
    this.probing = false;
  }

  private open(milliseconds: number): void {
    this.opened = true;
    this.failures = 0;
    this.openUntil = this.now() + milliseconds;
    this.report('open');
  }

  private report(state: CircuitState): void {
    if (state === this.reported) return;
    this.reported = state;
    this.options.onStateChange?.(state, this.reasonText);
  }
}
