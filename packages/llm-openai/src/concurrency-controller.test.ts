import { describe, expect, it } from 'vitest';
import { AimdConcurrencyController } from './concurrency-controller.js';

const controller = (changes: number[] = []): AimdConcurrencyController =>
  new AimdConcurrencyController({
    initial: 8,
    min: 2,
    max: 10,
    increaseAfter: 3,
    decreaseFactor: 0.75,
    onLimitChange: (limit) => changes.push(limit),
  });

describe('AimdConcurrencyController', () => {
  it('cuts once for the requests in flight when the limit was cut (cascade dampening)', () => {
    const changes: number[] = [];
    const aimd = controller(changes);
    const sentBefore = aimd.epoch;
    for (let index = 0; index < 5; index += 1) aimd.onRateLimited(sentBefore);
    expect(aimd.limit).toBe(6);
    // 429, success, 429 from requests that were all in flight before the cut: one overload, one cut.
    aimd.onSuccess(6);
    aimd.onRateLimited(sentBefore);
    expect(aimd.limit).toBe(6);
    // A request sent after the cut still meets a 429: the cut was not enough, cut again.
    aimd.onRateLimited(aimd.epoch);
    expect(aimd.limit).toBe(4);
    expect(changes).toEqual([6, 4]);
  });

  it('never goes below min or above max', () => {
    const aimd = controller();
    for (let index = 0; index < 10; index += 1) {
      aimd.onRateLimited();
      aimd.onSuccess(1);
    }
    expect(aimd.limit).toBe(2);
    for (let index = 0; index < 100; index += 1) aimd.onSuccess(10);
    expect(aimd.limit).toBe(10);
  });

  it('grows by one after a run of successes, only while the limit is used', () => {
    const aimd = controller();
    for (let index = 0; index < 3; index += 1) aimd.onSuccess(1);
    expect(aimd.limit).toBe(8);
    for (let index = 0; index < 3; index += 1) aimd.onSuccess(4);
    expect(aimd.limit).toBe(9);
    aimd.onSuccess(9);
    aimd.onFailure();
    aimd.onSuccess(9);
    aimd.onSuccess(9);
    expect(aimd.limit).toBe(9);
    aimd.onSuccess(9);
    expect(aimd.limit).toBe(10);
  });

  it('queues acquirers above the limit and wakes them as slots free or the limit grows', async () => {
    const aimd = new AimdConcurrencyController({ initial: 1, min: 1, max: 3, increaseAfter: 1, decreaseFactor: 0.5 });
    await aimd.acquire();
    let second = false;
    let third = false;
    void aimd.acquire().then(() => (second = true));
    void aimd.acquire().then(() => (third = true));
    await Promise.resolve();
    expect([second, third, aimd.queued]).toEqual([false, false, 2]);
    aimd.onSuccess(1);
    await Promise.resolve();
    expect([second, third]).toEqual([true, false]);
    aimd.release();
    await Promise.resolve();
    expect(third).toBe(true);
    expect(aimd.inFlight).toBe(2);
  });

  it('rejects a waiter whose signal fires', async () => {
    const aimd = new AimdConcurrencyController({ initial: 1, min: 1, max: 1, increaseAfter: 1, decreaseFactor: 0.5 });
    await aimd.acquire();
    const controllerSignal = new AbortController();
    const waiting = aimd.acquire(controllerSignal.signal);
    controllerSignal.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'aborted' });
    expect(aimd.queued).toBe(0);
  });
});
