import type { Redis } from 'ioredis';
import type { FailOpenGuard } from './fail-open-guard.js';

/** A classification as processor-semantic caches it (structurally its `ClassificationResult`). */
export interface CachedClassification {
  labels: Record<string, string | string[]>;
  model: string;
}

/**
 * Classification results shared by every replica through one Redis (structurally
 * processor-semantic's `SharedResultCache`): JSON `{labels, model}` under `prefix + "result:" + key`
 * with the processor's cache TTL. Fails open: an unreachable Redis or a value that is not a result
 * is a miss, a failed write is dropped.
 */
export class RedisSharedResultCache {
  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
    private readonly guard: FailOpenGuard,
  ) {}

  /** The Redis key of a result. */
  keyOf(key: string): string {
    return `${this.keyPrefix}result:${key}`;
  }

  get(key: string): Promise<CachedClassification | undefined> {
    return this.guard.run(
      'cache read',
      async () => {
        const value = await this.client.get(this.keyOf(key));
        return value === null ? undefined : parseClassification(value);
      },
      undefined,
    );
  }

  async set(key: string, result: CachedClassification, ttlMs: number): Promise<void> {
    const value = JSON.stringify({ labels: result.labels, model: result.model });
    await this.guard.run(
      'cache write',
      () => this.client.set(this.keyOf(key), value, 'PX', Math.max(1, Math.round(ttlMs))),
      undefined,
    );
  }
}

/** The stored value, or undefined when it is not one (another writer, another version): a miss. */
function parseClassification(value: string): CachedClassification | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { labels, model } = parsed as { labels?: unknown; model?: unknown };
  if (typeof model !== 'string' || typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return undefined;
  }
  const entries = Object.entries(labels);
  const valid = entries.every(
    ([, label]) =>
      typeof label === 'string' || (Array.isArray(label) && label.every((item) => typeof item === 'string')),
  );
  return valid ? { labels: Object.fromEntries(entries) as CachedClassification['labels'], model } : undefined;
}
