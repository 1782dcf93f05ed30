import { describe, expect, it } from 'vitest';
import { SendingQueue } from './sending-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('SendingQueue', () => {
  it('runs at most `consumers` items at once and refuses offers beyond capacity', async () => {
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const started: number[] = [];
    const queue = new SendingQueue<number>({
      capacity: 2,
      consumers: 2,
      consume: async (item) => {
        started.push(item);
        const gate = deferred();
        gates.set(item, gate);
        await gate.promise;
      },
    });
    expect([1, 2, 3, 4, 5].map((item) => queue.offer(item))).toEqual([true, true, true, true, false]);
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    expect(queue.inFlight).toBe(2);
    expect(queue.size).toBe(2);

    gates.get(1)?.resolve();
    await vi_waitFor(() => started.length === 3);
    expect(started).toEqual([1, 2, 3]);
    expect(queue.offer(6)).toBe(true);

    for (let round = 0; round < 10 && queue.size + queue.inFlight > 0; round += 1) {
      for (const gate of gates.values()) gate.resolve();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await queue.whenIdle();
    expect(started).toEqual([1, 2, 3, 4, 6]);
  });

  it('keeps working when a consumer rejects', async () => {
    const done: number[] = [];
    const queue = new SendingQueue<number>({
      capacity: 10,
      consumers: 1,
      consume: async (item) => {
        if (item === 1) throw new Error('boom');
        done.push(item);
      },
    });
    queue.offer(1);
    queue.offer(2);
    await queue.whenIdle();
    expect(done).toEqual([2]);
  });

  it('refuses offers once closed and hands back what is still queued', async () => {
    const gate = deferred();
    const queue = new SendingQueue<number>({ capacity: 10, consumers: 1, consume: () => gate.promise });
    queue.offer(1);
    queue.offer(2);
    queue.offer(3);
    queue.close();
    expect(queue.offer(4)).toBe(false);
    expect(queue.takeAll()).toEqual([2, 3]);
    gate.resolve();
    await queue.whenIdle();
    expect(queue.size).toBe(0);
  });
});

describe('SendingQueue byte bound', () => {
  it('holds bytes from offer until the consumer finishes, and refuses what would pass maxBytes', async () => {
    const gates: ReturnType<typeof deferred>[] = [];
    const queue = new SendingQueue<string>({
      capacity: 100,
      maxBytes: 100,
      consumers: 1,
      consume: async () => {
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
      },
    });
    expect(queue.offer('a', 60)).toBe(true);
    expect(queue.offer('b', 30)).toBe(true);
    expect(queue.offer('c', 20)).toBe(false);
    expect(queue.hasRoom()).toBe(true);
    expect(queue.offer('d', 10)).toBe(true);
    expect(queue.hasRoom()).toBe(false);
    expect(queue.bytes).toBe(100);
    await vi_waitFor(() => gates.length === 1);
    // 'a' is being sent: its bytes stay held until it is done.
    expect(queue.size).toBe(2);
    expect(queue.bytes).toBe(100);
    gates[0]?.resolve();
    await vi_waitFor(() => gates.length === 2);
    expect(queue.bytes).toBe(40);
    expect(queue.offer('e', 60)).toBe(true);
    for (let round = 0; round < 20 && queue.size + queue.inFlight > 0; round += 1) {
      for (const gate of gates) gate.resolve();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await queue.whenIdle();
    expect(queue.bytes).toBe(0);
  });

  it('takes an item larger than maxBytes only when it holds nothing else', async () => {
    const queue = new SendingQueue<string>({ capacity: 10, maxBytes: 10, consumers: 1, consume: async () => {} });
    expect(queue.offer('huge', 50)).toBe(true);
    expect(queue.offer('small', 1)).toBe(false);
    await queue.whenIdle();
    expect(queue.offer('small', 1)).toBe(true);
    expect(queue.takeAll()).toEqual([]);
    await queue.whenIdle();
    expect(queue.bytes).toBe(0);
  });

  it('releases the bytes of items taken back', () => {
    const queue = new SendingQueue<string>({
      capacity: 10,
      maxBytes: 10,
      consumers: 1,
      consume: () => new Promise(() => undefined),
    });
    queue.offer('sending', 4);
    queue.offer('waiting', 5);
    expect(queue.takeAll()).toEqual(['waiting']);
    expect(queue.bytes).toBe(4);
  });
});

async function vi_waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !condition(); attempt += 1)
    await new Promise((resolve) => setTimeout(resolve, 1));
  expect(condition()).toBe(true);
}
