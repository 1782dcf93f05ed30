/**
 * The bytes of encoded requests handed downstream at once, shared by every signal of one durable
 * queue. Each request in flight is decoded in memory (about three times its encoded size, more
 * while an exporter re-encodes it), so a count of requests alone does not bound memory: 64 replayed
 * requests of 16 MiB would be gigabytes.
 */
export class InFlightBudget {
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.bytes;
  }

  /**
   * Whether a request of `bytes` may go now. A signal with nothing in flight may always send one,
   * however large, so that no request waits forever and no signal waits on another's.
   */
  allows(bytes: number, signalInFlight: number): boolean {
    return signalInFlight === 0 || this.bytes + bytes <= this.maxBytes;
  }

  take(bytes: number): void {
    this.bytes += bytes;
  }

  give(bytes: number): void {
    this.bytes = Math.max(0, this.bytes - bytes);
  }
}
