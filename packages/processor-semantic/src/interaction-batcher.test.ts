import { describe, expect, it } from 'vitest';
import type { BatchItem } from './interaction-batcher.js';
import { InteractionBatcher, itemOverheadTokens } from './interaction-batcher.js';

function item(key: string, tokens: number): BatchItem {
  return { key, transcript: key, tokens };
}

describe('InteractionBatcher', () => {
  it('seals at max items', async () => {
    const batches: string[][] = [];
    const batcher = new InteractionBatcher({
      maxTokens: 10_000,
      maxItems: 3,
      maxWaitMs: 60_000,
      maxConcurrency: 1,
      dispatch: async (batch) => void batches.push(batch.map((entry) => entry.key)),
    });
    for (const key of ['a', 'b', 'c', 'd']) batcher.add(item(key, 10));
    await batcher.idle();
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('never exceeds the token budget with more than one item', async () => {
    const sizes: number[] = [];
    const budget = 1000;
    const batcher = new InteractionBatcher({
      maxTokens: budget,
      maxItems: 100,
      maxWaitMs: 60_000,
      maxConcurrency: 2,
      dispatch: async (batch) => {
        const tokens = batch.reduce((sum, entry) => sum + entry.tokens + itemOverheadTokens, 0);
        if (batch.length > 1) expect(tokens).toBeLessThanOrEqual(budget);
        sizes.push(batch.length);
      },
    });
    for (let index = 0; index < 50; index += 1) batcher.add(item(`k${index}`, 100 + ((index * 37) % 300)));
    await batcher.idle();
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(50);
    expect(sizes.length).toBeGreaterThan(10);
  });

  it('seals after max wait', async () => {
    const batches: string[][] = [];
    const batcher = new InteractionBatcher({
      maxTokens: 10_000,
      maxItems: 100,
      maxWaitMs: 20,
      maxConcurrency: 1,
      dispatch: async (batch) => void batches.push(batch.map((entry) => entry.key)),
    });
    batcher.add(item('a', 5));
    expect(batches).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(batches).toEqual([['a']]);
  });

  it('limits requests in flight and sends re-sends first', async () => {
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    const batcher = new InteractionBatcher({
      maxTokens: 10_000,
      maxItems: 1,
      maxWaitMs: 60_000,
      maxConcurrency: 2,
      dispatch: async (batch) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        order.push(batch.map((entry) => entry.key).join(','));
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
      },
    });
    for (const key of ['a', 'b', 'c', 'd', 'e']) batcher.add(item(key, 1));
    batcher.resend([item('x', 1), item('y', 1), item('z', 1)], 2);
    await batcher.idle();
    expect(peak).toBe(2);
    expect(order.indexOf('x,y')).toBeLessThan(order.indexOf('e'));
    expect(order).toContain('z');
  });
});
