import { LRUCache } from 'lru-cache';
import type { ClassificationResult } from './span-enrichment.js';

/**
 * Results by interaction content key, so the same interaction (an agent span and its chat
 * span, a client retry) is classified once. Bounded by entries and by age.
 */
export class ResultCache {
  private readonly cache: LRUCache<string, ClassificationResult>;

  constructor(maxEntries: number, ttlMs: number) {
    this.cache = new LRUCache({ max: Math.max(1, maxEntries), ttl: Math.max(1, ttlMs), ttlAutopurge: false });
  }

  get(key: string): ClassificationResult | undefined {
    return this.cache.get(key);
  }

  set(key: string, result: ClassificationResult): void {
    this.cache.set(key, result);
  }

  get size(): number {
    return this.cache.size;
  }
}
