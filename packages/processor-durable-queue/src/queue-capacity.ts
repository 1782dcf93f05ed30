/** The size bound shared by every signal of one durable queue: bytes and entries stored. */
export class QueueCapacity {
  private bytes = 0;
  private entries = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntries: number,
  ) {}

  get usedBytes(): number {
    return this.bytes;
  }

  get usedEntries(): number {
    return this.entries;
  }

  /** Takes room for one entry; false when it does not fit. */
  reserve(bytes: number): boolean {
    if (this.entries + 1 > this.maxEntries || this.bytes + bytes > this.maxBytes) return false;
    this.add(bytes);
    return true;
  }

  /** Counts an entry found on disk at start, even past the bound (the bound may have been lowered). */
  add(bytes: number): void {
    this.bytes += bytes;
    this.entries += 1;
  }

  release(bytes: number): void {
    this.bytes = Math.max(0, this.bytes - bytes);
    this.entries = Math.max(0, this.entries - 1);
  }
}
