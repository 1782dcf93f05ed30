import type { ClassificationResult } from './span-enrichment.js';

/**
 * Results shared by every replica (for example in Redis), consulted when the local result cache
 * misses and written after each classification, so an interaction classified by one replica is
 * `cached` on the others. Implementations turn their store's failures into misses: the processor
 * also treats a rejected promise as a miss and ignores a failed write.
 */
export interface SharedResultCache {
  get(key: string): Promise<ClassificationResult | undefined>;
  set(key: string, result: ClassificationResult, ttlMs: number): Promise<void>;
}

/** State shared with other replicas, opened and closed with the processor that uses it. */
export interface SharedState {
  readonly resultCache?: SharedResultCache;
  /** Connects; must not fail the start when the store is unreachable (the state fails open). */
  start?(): Promise<void>;
  /** Disconnects; safe twice and before start. */
  shutdown?(deadline?: AbortSignal): Promise<void>;
}

/**
 * Keys the cache by taxonomy version too: labels are only valid for the taxonomy they were
 * chosen from, and replicas may run different ones while a change rolls out.
 */
export function taxonomyScopedCache(cache: SharedResultCache, taxonomyVersion: string): SharedResultCache {
  return {
    get: (key) => cache.get(`${taxonomyVersion}:${key}`),
    set: (key, result, ttlMs) => cache.set(`${taxonomyVersion}:${key}`, result, ttlMs),
  };
}
