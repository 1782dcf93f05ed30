import type { Signal } from '@semtel/component';
import type { Database, RootDatabase, RootDatabaseOptionsWithPath } from 'lmdb';
import { open } from 'lmdb';
import type { FsyncPolicy } from './durable-queue-config.js';

export interface StoredEntry {
  id: number;
  bytes: number;
}

/** One signal's entries: encoded requests under increasing numeric ids. */
export interface QueuePartition {
  /** Resolves once the entry is as durable as the fsync policy asks. */
  put(id: number, body: Uint8Array): Promise<void>;
  /** The entry's bytes, or undefined when it is gone. */
  get(id: number): Uint8Array | undefined;
  remove(id: number): Promise<void>;
  /** Every stored entry in id order, for the replay at start. */
  entries(): StoredEntry[];
}

/**
 * The durable store behind the queue: one LMDB environment (a single memory-mapped file with
 * copy-on-write B-trees, so a crash at any point leaves the last committed transaction intact)
 * per processor, one named database per signal.
 */
export class QueueStore {
  private readonly partitions = new Map<Signal, QueuePartition>();
  private closed = false;

  private constructor(
    private readonly root: RootDatabase<Uint8Array, number>,
    private readonly fsync: FsyncPolicy,
  ) {}

  static open(path: string, fsync: FsyncPolicy): QueueStore {
    const options: RootDatabaseOptionsWithPath = {
      path,
      // The path names the data file; LMDB keeps its lock table beside it (`<path>-lock`).
      noSubdir: true,
      encoding: 'binary',
      compression: false,
      maxDbs: 4,
      // `never` leaves write-back to the OS. The other policies keep LMDB's overlapping sync, where a
      // commit's flush runs alongside the next transaction; `always` then waits for that flush.
      ...(fsync === 'never' ? { noSync: true } : {}),
    };
    return new QueueStore(open<Uint8Array, number>(options), fsync);
  }

  partition(signal: Signal): QueuePartition {
    const existing = this.partitions.get(signal);
    if (existing !== undefined) return existing;
    const database: Database<Uint8Array, number> = this.root.openDB<Uint8Array, number>(signal, {
      encoding: 'binary',
      compression: false,
    });
    const partition: QueuePartition = {
      put: async (id, body) => {
        await database.put(id, body);
        if (this.fsync === 'always') await this.root.flushed;
      },
      get: (id) => database.get(id),
      remove: async (id) => {
        await database.remove(id);
      },
      entries: () => {
        const entries: StoredEntry[] = [];
        // getBinaryFast reads into a reused buffer: only the size is wanted, not a copy of the entry.
        for (const id of database.getKeys()) entries.push({ id, bytes: database.getBinaryFast(id)?.byteLength ?? 0 });
        return entries;
      },
    };
    this.partitions.set(signal, partition);
    return partition;
  }

  /** Waits for pending writes, then closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }
}
