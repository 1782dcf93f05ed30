import type { LogRecord } from '@semtel/pdata';

interface Entry {
  records: LogRecord[];
  expiresAt: number;
}

/**
 * Holds GenAI content events that arrived as log records, keyed by trace and span id,
 * until their span arrives. Bounded by keys and by age, oldest first out: an event whose
 * span never comes must not pin memory.
 */
export class GenAiEventBuffer {
  private readonly entries = new Map<string, Entry>();
  private lastSeenAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxKeys: number,
    private readonly ttlMs: number,
  ) {}

  add(key: string, record: LogRecord, now: number): void {
    this.lastSeenAt = now;
    const existing = this.entries.get(key);
    if (existing) {
      existing.records.push(record);
      return;
    }
    this.entries.set(key, { records: [record], expiresAt: now + this.ttlMs });
    this.evict(now);
  }

  /** Removes and returns the events for `key`. */
  take(key: string): LogRecord[] | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    return entry.records;
  }

  peek(key: string): LogRecord[] | undefined {
    return this.entries.get(key)?.records;
  }

  /** Whether log-based GenAI events were seen recently: then content-less spans wait for them. */
  seenWithin(windowMs: number, now: number): boolean {
    return now - this.lastSeenAt <= windowMs;
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    // Map iteration is insertion order, so the oldest entries come first.
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxKeys && entry.expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}
