/**
 * A token bucket that refills continuously at `ratePerMinute`, up to `capacity` (the burst), the
 * model OpenAI's limits follow ("reset" = the time until the bucket is full again). The level may go
 * below zero: a charge larger than what is left is still taken once the bucket is full, and
 * corrections from the endpoint's headers may lower it further.
 */
export class TokenBucket {
  private level: number;
  private updatedAt: number;

  constructor(
    private rate: number,
    private burst: number,
    private readonly now: () => number,
  ) {
    this.level = burst;
    this.updatedAt = now();
  }

  get ratePerMinute(): number {
    return this.rate;
  }

  get capacity(): number {
    return this.burst;
  }

  /** What is left now (may be negative). */
  available(): number {
    this.refill();
    return this.level;
  }

  /**
   * Milliseconds until `amount` can be taken. An amount above the capacity waits for a full bucket
   * (it could never be covered otherwise); `projected` drops that cap, for estimating queues.
   */
  waitMs(amount: number, projected = false): number {
    this.refill();
    const needed = projected ? amount : Math.min(amount, this.burst);
    if (this.level >= needed) return 0;
    return Math.ceil(((needed - this.level) * 60_000) / this.rate);
  }

  take(amount: number): void {
    this.refill();
    this.level -= amount;
  }

  /** Gives back part of a charge (the request used fewer tokens than it was charged). */
  refund(amount: number): void {
    this.refill();
    this.level = Math.min(this.burst, this.level + amount);
  }

  /** Lowers the level to what the endpoint says is left; never raises it. */
  lowerTo(remaining: number): void {
    this.refill();
    this.level = Math.min(this.level, remaining);
  }

  /** A new rate and burst (the endpoint announced a different limit); the level keeps its share of the burst. */
  resize(ratePerMinute: number, burst: number): void {
    if (ratePerMinute === this.rate && burst === this.burst) return;
    this.refill();
    this.level = Math.min(burst, (this.level / this.burst) * burst);
    this.rate = ratePerMinute;
    this.burst = burst;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.level = Math.min(this.burst, this.level + (elapsed * this.rate) / 60_000);
    this.updatedAt = now;
  }
}
