import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noopLogger } from '@semtel/component';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessIdentity, StoreLock, StoreOwner } from './store-lock.js';
import { acquireStoreLock, currentProcessIdentity, StoreInUseError } from './store-lock.js';

let directory: string;
let storePath: string;
const held: StoreLock[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'semtel-store-lock-'));
  storePath = join(directory, 'durable_queue.mdb');
});
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  rmSync(directory, { recursive: true, force: true });
});

/** A lease so long that a test waiting on it would time out: these must decide at once. */
const noWaiting = { leaseMs: 10 * 60_000 };
const self = currentProcessIdentity();
/** A process in another container (another pid namespace) on this host, or on another host. */
const elsewhere: ProcessIdentity = { ...self, hostname: 'replica-b', pid: 1, pid_namespace: 'pid:[4026532999]' };

async function acquire(options: Parameters<typeof acquireStoreLock>[1] = { logger: noopLogger }): Promise<StoreLock> {
  const lock = await acquireStoreLock(storePath, options);
  held.push(lock);
  return lock;
}

/** Writes the lock record a previous owner would have left. */
function leaveRecord(generation: number, owner: Partial<StoreOwner>): void {
  mkdirSync(`${storePath}.owners`, { recursive: true });
  const record: StoreOwner = {
    ...self,
    token: randomUUID(),
    heartbeat: 0,
    acquired_at: new Date().toISOString(),
    ...owner,
  };
  writeFileSync(join(`${storePath}.owners`, String(generation)), JSON.stringify(record));
}

function newestRecord(): StoreOwner {
  const names = readdirSync(`${storePath}.owners`).filter((name) => /^\d+$/.test(name));
  const newest = Math.max(...names.map(Number));
  return JSON.parse(readFileSync(join(`${storePath}.owners`, String(newest)), 'utf8')) as StoreOwner;
}

describe('acquireStoreLock', () => {
  it('refuses a second holder while the first holds the store, even in the same process', async () => {
    const first = await acquire({ logger: noopLogger, ...noWaiting });
    await expect(acquire({ logger: noopLogger, ...noWaiting })).rejects.toThrow(StoreInUseError);
    await expect(acquire({ logger: noopLogger, ...noWaiting })).rejects.toThrow(
      new RegExp(`in use by process ${process.pid} on `),
    );
    first.release();
    const second = await acquire({ logger: noopLogger, ...noWaiting });
    expect(second.generation).toBe(first.generation + 1);
  });

  it('takes over at once from an owner in this pid namespace that is gone (kill -9)', async () => {
    leaveRecord(4, { pid: 2_147_483_646, start_time: '1' });
    const lock = await acquire({ logger: noopLogger, ...noWaiting });
    expect(lock.generation).toBe(5);
    // The older generation is cleared away.
    expect(readdirSync(`${storePath}.owners`).filter((name) => /^\d+$/.test(name))).toEqual(['5']);
  });

  it('takes over from an owner whose pid now belongs to a process started at another time', async () => {
    // This very pid, but a start time it never had: the pid was reused after the owner died.
    leaveRecord(1, { pid: process.pid, start_time: '1' });
    expect((await acquire({ logger: noopLogger, ...noWaiting })).generation).toBe(2);
  });

  it('refuses an owner in this pid namespace that still runs', async () => {
    leaveRecord(1, { pid: process.ppid, start_time: undefined });
    await expect(acquire({ logger: noopLogger, ...noWaiting })).rejects.toThrow(
      new RegExp(`in use by process ${process.ppid}`),
    );
  });

  it('waits one lease for an owner it cannot check, and takes over when it never heartbeats', async () => {
    leaveRecord(1, { ...elsewhere });
    const lock = await acquire({ logger: noopLogger, leaseMs: 200 });
    expect(lock.generation).toBe(2);
    expect(newestRecord().pid).toBe(process.pid);
  });

  it('refuses an owner it cannot check once it sees it heartbeat', async () => {
    // The owner runs "elsewhere" and heartbeats every 20 ms.
    await acquire({ logger: noopLogger, identity: elsewhere, heartbeatMs: 20, leaseMs: 100 });
    await expect(acquire({ logger: noopLogger, leaseMs: 300 })).rejects.toThrow(/alive \(its lock heartbeats\)/);
  });

  it('takes a cleanly released lock at once, whoever released it', async () => {
    const other = await acquire({ logger: noopLogger, identity: elsewhere });
    other.release();
    expect(newestRecord().released).toBe(true);
    expect((await acquire({ logger: noopLogger, ...noWaiting })).generation).toBe(other.generation + 1);
  });

  it('tells the holder when another process took the store over', async () => {
    const lost: Error[] = [];
    await acquire({ logger: noopLogger, heartbeatMs: 10, onLost: (error) => lost.push(error) });
    // What a process that judged this one abandoned would have written.
    leaveRecord(99, { ...elsewhere });
    for (let attempt = 0; attempt < 200 && lost.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(lost.map((error) => error.message)).toEqual([expect.stringMatching(/taken over by another process/)]);
  });
});
