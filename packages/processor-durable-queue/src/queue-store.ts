import type { Signal } from '@semtel/component';
import type { Database, Key, RootDatabase, RootDatabaseOptionsWithPath } from 'lmdb';
import { open } from 'lmdb';
import { flushedWithin } from './flushed-within.js';
import type { FsyncPolicy } from './durable-queue-config.js';
import { storeWriteError } from './store-write-error.js';

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
 * An entry's key: `[id, bytes]`, so that the replay at start learns every size from the keys
 * alone, without reading (and paging in) each value. Stores written before sizes were kept use
 * the bare id; those entries are still read and delivered.
 */
type EntryKey = [number, number] | number;

/**
 * The durable store behind the queue: one LMDB environment (a single memory-mapped file with
 * copy-on-write B-trees, so a crash at any point leaves the last committed transaction intact)
 * per processor, one named database per signal.
 */
export class QueueStore {
  private readonly partitions = new Map<Signal, QueuePartition>();
  private closed = false;

  private constructor(
    private readonly root: RootDatabase<Uint8Array, Key>,
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
      // With event-turn batching lmdb-js starts each batch with an internal write whose promise
      // nobody holds: a failed commit (a full disk) then raises an unhandled rejection. Without
      // it, writes issued together still share one transaction (started on the next tick), and
      // turning it back on was measured to gain no throughput (README, "Trade-off").
      eventTurnBatching: false,
      // `never` leaves write-back to the OS. The other policies keep LMDB's overlapping sync, where a
      // commit's flush runs alongside the next transaction; `always` then waits for that flush.
      ...(fsync === 'never' ? { noSync: true } : {}),
    };
    return new QueueStore(open<Uint8Array, Key>(options), fsync);
  }

  partition(signal: Signal): QueuePartition {
    const existing = this.partitions.get(signal);
    if (existing !== undefined) return existing;
    const database: Database<Uint8Array, Key> = this.root.openDB<Uint8Array, Key>(signal, {
      encoding: 'binary',
      compression: false,
    });
    // Only what this process stored or loaded: an entry's key holds its size, so it must be known.
    const keys = new Map<number, EntryKey>();
    const partition: QueuePartition = {
      put: async (id, body) => {
        const key: EntryKey = [id, body.byteLength];
        try {
          await database.put(key, body);
          if (this.fsync === 'always') await flushedWithin(this.root.flushed, flushTimeoutMs);
        } catch (error) {
          throw await storeWriteError(error);
        }
        keys.set(id, key);
      },
      get: (id) => {
        const key = keys.get(id);
        return key === undefined ? undefined : database.get(key);
      },
      remove: async (id) => {
        const key = keys.get(id);
        if (key === undefined) return;
        keys.delete(id);
        try {
          await database.remove(key);
        } catch (error) {
          throw await storeWriteError(error);
        }
      },
      entries: () => {
        const entries: StoredEntry[] = [];
        // Listed before any read: lmdb-js may reset the read transaction under a live iterator.
        for (const key of [...database.getKeys()]) {
          if (Array.isArray(key) && typeof key[0] === 'number' && typeof key[1] === 'number') {
            keys.set(key[0], [key[0], key[1]]);
            entries.push({ id: key[0], bytes: key[1] });
          } else if (typeof key === 'number') {
            keys.set(key, key);
            // A store from before sizes were in the keys: read the value once. `length`, not
            // `byteLength`: getBinaryFast hands out a view of a larger shared buffer.
            entries.push({ id: key, bytes: database.getBinaryFast(key)?.length ?? 0 });
          }
        }
        return entries.sort((left, right) => left.id - right.id);
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

/**
 * How long `fsync: always` waits for the flush after a commit. lmdb-js's `flushed` never settles
 * when that flush fails (a full or broken disk), which would hang the sender's request for good.
 * Past this the write is refused (retryable): the committed entry is then replayed after the next
 * start, a duplicate at worst, never a loss.
 */
const flushTimeoutMs = 15_000;
