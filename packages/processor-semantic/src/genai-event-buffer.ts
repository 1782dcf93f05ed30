import type { LogRecord } from '@semtel/pdata';

interface Entry {
  records: LogRecord[];
  expiresAt: number;
}

export interface GenAiEventBufferOptions {
  /** Spans whose events are held at once; the oldest go first beyond it. */
  maxKeys: number;
  /** How long events wait for their span. */
  ttlMs: number;
  /** Records kept per span: the first ones (system, first user turn) and the latest. */
  maxRecordsPerKey?: number;
}

/** Records per span by default: far more turns than a transcript of item.max_tokens keeps. */
const defaultMaxRecordsPerKey = 512;
/** Records at the start of a span's list that the per-span cap never drops. */
const keptHeadRecords = 16;

/**
 * Holds GenAI content events that arrived as log records, keyed by trace and span id,
 * until their span arrives. Bounded by keys, by records per key and by age, oldest first out:
 * an event whose span never comes must not pin memory.
 */
export class GenAiEventBuffer {
  private readonly entries = new Map<string, Entry>();
  private lastSeenAt = Number.NEGATIVE_INFINITY;
  private readonly maxKeys: number;
  private readonly ttlMs: number;
  private readonly maxRecordsPerKey: number;

  constructor(options: GenAiEventBufferOptions) {
    this.maxKeys = options.maxKeys;
    this.ttlMs = options.ttlMs;
    this.maxRecordsPerKey = Math.max(keptHeadRecords + 1, options.maxRecordsPerKey ?? defaultMaxRecordsPerKey);
  }

  add(key: string, record: LogRecord, now: number): void {
    this.lastSeenAt = now;
    const existing = this.entries.get(key);
    if (existing) {
      // Past the cap the oldest turn after the kept head goes: transcripts keep the first user turn
      // and the latest turns, and the answer comes last.
      if (existing.records.length >= this.maxRecordsPerKey) existing.records.splice(keptHeadRecords, 1);
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
