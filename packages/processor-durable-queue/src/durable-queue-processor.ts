import type { Host, Logger, NextConsumers, Processor, Signal } from '@semtel/component';
import { once, PermanentError, RetryableError } from '@semtel/component';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import type { QueueCapacity } from './queue-capacity.js';
import type { QueueStore } from './queue-store.js';
import type { SignalQueue } from './signal-queue.js';

export interface DurableQueueProcessorOptions {
  /** The component id, for logs. */
  id: string;
  /**
   * Takes the store's lock and opens the store at start (so a config check never touches the
   * disk). `lost` is called if another process takes the lock over later.
   */
  openStore(lost: (error: Error) => void): Promise<{ store: QueueStore; release(): void }>;
  /** Builds one queue per signal with a next consumer, on the opened store. */
  createQueues(store: QueueStore): Partial<{
    traces: SignalQueue<Traces>;
    logs: SignalQueue<Logs>;
    metrics: SignalQueue<Metrics>;
  }>;
  capacity: QueueCapacity;
  shutdownWaitMs: number;
  /** Keep delivering stored requests during shutdown, not only those in flight. */
  drainOnShutdown: boolean;
  logger: Logger;
}

/**
 * The `durable_queue` processor: every request is persisted before `consume*` resolves, so the
 * receiver acknowledges only what is on disk, and it is deleted only once the next consumer
 * resolved (with `sending_queue.enabled: false` on the exporters and `wait_for_release: true` on
 * the semantic processor, that is once it was delivered). What a previous run left is replayed
 * at start.
 */
export class DurableQueueProcessor implements Processor {
  private store: QueueStore | undefined;
  private releaseStore: (() => void) | undefined;
  private queues: ReturnType<DurableQueueProcessorOptions['createQueues']> = {};

  constructor(
    private readonly options: DurableQueueProcessorOptions,
    private readonly next: NextConsumers,
  ) {}

  /** Entries stored per signal, for metrics and tests. */
  stored(signal: Signal): number {
    return this.queues[signal]?.size ?? 0;
  }

  readonly start = once(async (host: Host): Promise<void> => {
    const { store, release } = await this.options.openStore((error) => this.lost(error, host));
    this.store = store;
    this.releaseStore = release;
    try {
      this.queues = this.options.createQueues(store);
      const replayed: Partial<Record<Signal, number>> = {};
      for (const [signal, queue] of Object.entries(this.queues) as [Signal, SignalQueue<unknown>][]) {
        replayed[signal] = queue.load();
      }
      const total = Object.values(replayed).reduce((sum, count) => sum + count, 0);
      if (total > 0) {
        this.options.logger.info(
          { ...replayed, bytes: this.options.capacity.usedBytes },
          'durable queue: replaying requests left by the previous run',
        );
      }
      for (const queue of Object.values(this.queues)) queue.start();
    } catch (error) {
      await store.close();
      release();
      throw error;
    }
  });

  readonly shutdown = once(async (deadline?: AbortSignal): Promise<void> => {
    const queues = Object.values(this.queues);
    for (const queue of queues) queue.stopAccepting();
    const left = await Promise.all(
      queues.map((queue) => queue.stopDelivering(this.options.shutdownWaitMs, deadline, this.options.drainOnShutdown)),
    );
    const inFlight = left.reduce((sum, count) => sum + count, 0);
    const stored = queues.reduce((sum, queue) => sum + queue.size, 0);
    if (stored > 0) {
      this.options.logger.info(
        { stored, in_flight: inFlight },
        'durable queue: undelivered requests stay on disk and are delivered on the next start',
      );
    }
    const store = this.store;
    const release = this.releaseStore;
    if (store === undefined) return;
    const close = async (): Promise<void> => {
      await store.close();
      release?.();
    };
    if (inFlight === 0) {
      await close();
      return;
    }
    // Later stages may still deliver what is in flight (the semantic processor releases held spans
    // when it shuts down, after this one): keep the store open to delete those entries then.
    void Promise.all(queues.map((queue) => queue.whenIdle()))
      .then(close)
      .catch((error: unknown) => this.options.logger.error({ error }, 'durable queue: closing the store failed'));
  });

  /**
   * Another process took the store over (this one stalled for a whole lease): two processes must
   * not deliver one store, so this one stops at once and asks the service to shut down.
   */
  private lost(error: Error, host: Host): void {
    for (const queue of Object.values(this.queues)) {
      queue.stopAccepting();
      void queue.stopDelivering(0);
    }
    host.reportFatalError(error);
  }

  async consumeTraces(traces: Traces): Promise<void> {
    const queue = this.queues.traces;
    if (queue === undefined) throw this.missing('traces');
    return queue.enqueue(traces);
  }

  async consumeLogs(logs: Logs): Promise<void> {
    const queue = this.queues.logs;
    if (queue === undefined) throw this.missing('logs');
    return queue.enqueue(logs);
  }

  async consumeMetrics(metrics: Metrics): Promise<void> {
    const queue = this.queues.metrics;
    if (queue === undefined) throw this.missing('metrics');
    return queue.enqueue(metrics);
  }

  private missing(signal: Signal): Error {
    if (this.next[signal] === undefined) {
      return new PermanentError(`${this.options.id} has no ${signal} pipeline after it`);
    }
    return new RetryableError(`${this.options.id} has not started`, { retryAfterMs: 1000 });
  }
}
