import { setMaxListeners } from 'node:events';
import type { CreateSettings, Exporter, Host, Logger, Meter, Signal } from '@semtel/component';
import { errorMessage, formatComponentId, once, PermanentError, RetryableError } from '@semtel/component';
import type { PartialSuccess } from '@semtel/otlp';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { countDataPoints, countLogRecords, countSpans } from '@semtel/pdata';
import { formatDuration } from '@semtel/component';
import type { ExporterHelperConfig } from './exporter-helper-config.js';
import type { ExporterItemCounters } from './exporter-item-counters.js';
import { exporterItemCounters, itemNames } from './exporter-item-counters.js';
import { RetryPolicy } from './retry-policy.js';
import { SendingQueue } from './sending-queue.js';

export type SignalData = Traces | Logs | Metrics;

/** The network half of a queued exporter: encodes a batch and makes one attempt to send it. */
export interface ExportTransport {
  /** Reads certificates, opens clients. Throwing aborts the service start. */
  start?(): Promise<void>;
  /**
   * Called once per batch, when it is handed over (before it is queued, so the queue holds the
   * compact encoded bytes and can bound them); a throw is a permanent failure.
   */
  encode(signal: Signal, data: SignalData): Uint8Array | Promise<Uint8Array>;
  /**
   * One attempt. Resolves with the backend's partial success (undefined for full success);
   * rejects with a PermanentError when the backend refused the data for good, and with
   * anything else (ideally a RetryableError carrying the server's delay) when a retry may help.
   * `abortSignal` fires on the attempt timeout or the shutdown deadline.
   */
  send(signal: Signal, body: Uint8Array, abortSignal: AbortSignal): Promise<PartialSuccess | undefined>;
  /** Releases connections; called once, after the queues drained. */
  close(): Promise<void>;
}

const mebibyte = 1024 * 1024;

function queueFigure<Item>(queue: SendingQueue<Item>, figure: QueueFigure): number {
  switch (figure) {
    case 'size':
      return queue.size;
    case 'capacity':
      return queue.capacity;
    case 'bytes':
      return queue.bytes;
    case 'bytesCapacity':
      return queue.maxBytes;
  }
}
const itemCounters: Record<Signal, (data: SignalData) => number> = {
  traces: (data) => countSpans(data as Traces),
  logs: (data) => countLogRecords(data as Logs),
  metrics: (data) => countDataPoints(data as Metrics),
};

interface ExportRequest {
  readonly signal: Signal;
  readonly body: Uint8Array;
  readonly items: number;
}

interface SignalState extends ExporterItemCounters {
  readonly signal: Signal;
  readonly logger: Logger;
  readonly queue: SendingQueue<ExportRequest> | undefined;
  /** Items given up because the shutdown deadline came first. */
  undelivered: number;
}

type QueueFigure = 'size' | 'capacity' | 'bytes' | 'bytesCapacity';

/** What a queue-size observer reads. */
interface QueueObserver {
  observeQueues(observe: (value: number, labels: Record<string, string>) => void, figure: QueueFigure): void;
}

const queueGauges: readonly { name: string; help: string; figure: QueueFigure }[] = [
  { name: 'otelcol_exporter_queue_size', help: 'Current size of the retry queue (in batches).', figure: 'size' },
  {
    name: 'otelcol_exporter_queue_capacity',
    help: 'Fixed capacity of the retry queue (in batches).',
    figure: 'capacity',
  },
  {
    name: 'semtel_exporter_queue_bytes',
    help: 'Encoded bytes the sending queue holds, waiting or being sent.',
    figure: 'bytes',
  },
  {
    name: 'semtel_exporter_queue_bytes_capacity',
    help: 'Most encoded bytes the sending queue holds (max_size_mib).',
    figure: 'bytesCapacity',
  },
];

// Observable gauges are registered once per meter and read every live exporter, so the
// result does not depend on how a meter treats a second callback under the same name.
const queueObservers = new WeakMap<Meter, Set<QueueObserver>>();

function registerQueueObserver(meter: Meter, observer: QueueObserver): () => void {
  let observers = queueObservers.get(meter);
  if (observers === undefined) {
    const registered = new Set<QueueObserver>();
    observers = registered;
    queueObservers.set(meter, registered);
    const labelNames = ['exporter', 'data_type'] as const;
    for (const gauge of queueGauges) {
      meter.observableGauge(gauge.name, gauge.help, labelNames, (observe) => {
        for (const each of registered) each.observeQueues(observe, gauge.figure);
      });
    }
  }
  const set = observers;
  set.add(observer);
  return () => set.delete(observer);
}

function sleep(milliseconds: number, abortSignal: AbortSignal): Promise<boolean> {
  if (abortSignal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      abortSignal.removeEventListener('abort', onAbort);
      resolve(true);
    }, milliseconds);
    abortSignal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The collector's exporterhelper for one exporter instance: a sending queue per signal, retry
 * with exponential backoff, a per-attempt timeout, self-metrics and a draining shutdown. The
 * transport only knows how to make one attempt.
 */
export class ExporterHelper implements Exporter {
  readonly #transport: ExportTransport;
  readonly #config: ExporterHelperConfig;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger;
  readonly #exporterName: string;
  readonly #meter: Meter;
  readonly #signals: ReadonlySet<Signal>;
  readonly #states = new Map<Signal, SignalState>();
  /** Aborts every attempt and backoff wait once the shutdown deadline passes. */
  readonly #stop = new AbortController();
  readonly #unregisterQueueObserver: () => void;
  #accepting = true;
  /** Exports awaited by their callers (queue disabled); shutdown waits for them too. */
  readonly #directExports = new Set<Promise<unknown>>();

  constructor(
    settings: CreateSettings,
    config: ExporterHelperConfig,
    signals: readonly Signal[],
    transport: ExportTransport,
  ) {
    this.#transport = transport;
    this.#config = config;
    // Every attempt and backoff in flight listens to this signal and removes its listener when it
    // settles; with the sending queue off, callers (a durable queue, say) may run many at once.
    setMaxListeners(0, this.#stop.signal);
    this.#retry = new RetryPolicy(config.retry_on_failure);
    this.#logger = settings.telemetry.logger;
    this.#exporterName = formatComponentId(settings.id);
    this.#meter = settings.telemetry.meter;
    this.#signals = new Set(signals);
    this.#unregisterQueueObserver = registerQueueObserver(this.#meter, {
      observeQueues: (observe, figure) => {
        for (const state of this.#states.values()) {
          if (state.queue === undefined) continue;
          const labels = { exporter: this.#exporterName, data_type: state.signal };
          observe(queueFigure(state.queue, figure), labels);
        }
      },
    });
  }

  /**
   * A signal's queue and counters are made when its first batch arrives: an exporter only sees
   * the signals its pipelines route to it, so no queue gauge appears for a signal it never gets.
   */
  #stateOf(signal: Signal): SignalState | undefined {
    const existing = this.#states.get(signal);
    if (existing !== undefined || !this.#signals.has(signal)) return existing;
    const queueConfig = this.#config.sending_queue;
    const state: SignalState = {
      signal,
      logger: this.#logger.child({ data_type: signal }),
      queue: queueConfig.enabled
        ? new SendingQueue<ExportRequest>({
            capacity: queueConfig.queue_size,
            maxBytes: queueConfig.max_size_mib * mebibyte,
            consumers: queueConfig.num_consumers,
            consume: async (request) => {
              await this.#export(request);
            },
          })
        : undefined,
      ...exporterItemCounters(this.#meter, signal),
      undelivered: 0,
    };
    this.#states.set(signal, state);
    return state;
  }

  readonly start = once(async (_host: Host): Promise<void> => {
    await this.#transport.start?.();
  });

  consumeTraces(traces: Traces): Promise<void> {
    return this.#consume('traces', traces);
  }

  consumeLogs(logs: Logs): Promise<void> {
    return this.#consume('logs', logs);
  }

  consumeMetrics(metrics: Metrics): Promise<void> {
    return this.#consume('metrics', metrics);
  }

  /**
   * Stops accepting, then keeps sending (and retrying) what is queued until everything is
   * delivered or `deadline` aborts; what is left then is counted as failed and logged.
   */
  readonly shutdown = once(async (deadline?: AbortSignal): Promise<void> => {
    this.#accepting = false;
    for (const state of this.#states.values()) state.queue?.close();
    const stop = (): void => this.#stop.abort(new Error('shutdown deadline reached'));
    if (deadline?.aborted === true) stop();
    else deadline?.addEventListener('abort', stop, { once: true });
    try {
      // After the deadline every attempt and wait is aborted, so the remaining requests each
      // fail at once and the queues empty quickly.
      await Promise.all([...this.#states.values()].map((state) => state.queue?.whenIdle()));
      await Promise.all(this.#directExports);
    } finally {
      deadline?.removeEventListener('abort', stop);
      this.#unregisterQueueObserver();
      // Nothing waits any longer: make sure no timer or socket outlives the exporter.
      this.#stop.abort(new Error('exporter shut down'));
      for (const state of this.#states.values()) {
        if (state.undelivered > 0) {
          state.logger.error(
            { exporter: this.#exporterName, [`dropped_${itemNames[state.signal]}`]: state.undelivered },
            `Shutdown deadline reached: ${state.undelivered} ${itemNames[state.signal]} were not delivered`,
          );
        }
      }
      await this.#transport.close();
    }
  });

  async #consume(signal: Signal, data: SignalData): Promise<void> {
    const state = this.#stateOf(signal);
    if (state === undefined) throw new PermanentError(`exporter ${this.#exporterName} does not export ${signal}`);
    const items = itemCounters[signal](data);
    if (!this.#accepting) {
      state.enqueueFailed.add(items, { exporter: this.#exporterName });
      throw new RetryableError(`exporter ${this.#exporterName} is shutting down`);
    }
    // An empty request is a success, and sending it would only cost the backend a round trip.
    if (items === 0) return;
    const queue = state.queue;
    // Encoding a batch that a full queue will refuse anyway is wasted work.
    if (queue !== undefined && !queue.hasRoom()) throw this.#refuseFull(state, queue, items);
    let body: Uint8Array;
    try {
      body = await this.#transport.encode(signal, data);
    } catch (error) {
      state.sendFailed.add(items, { exporter: this.#exporterName });
      state.logger.error(
        { exporter: this.#exporterName, error: errorMessage(error), [`dropped_${itemNames[signal]}`]: items },
        'Exporting failed. Cannot encode the data. Dropping data.',
      );
      throw new PermanentError(`cannot encode ${signal}: ${errorMessage(error)}`, { cause: error, badData: true });
    }
    const request: ExportRequest = { signal, body, items };
    if (queue !== undefined) {
      if (queue.offer(request, body.byteLength)) return;
      if (!this.#accepting) {
        state.enqueueFailed.add(items, { exporter: this.#exporterName });
        throw new RetryableError(`exporter ${this.#exporterName} is shutting down`);
      }
      throw this.#refuseFull(state, queue, items);
    }
    const exported = this.#export(request);
    this.#directExports.add(exported);
    try {
      const failure = await exported;
      if (failure !== undefined) throw failure;
    } finally {
      this.#directExports.delete(exported);
    }
  }

  #refuseFull(state: SignalState, queue: SendingQueue<ExportRequest>, items: number): RetryableError {
    state.enqueueFailed.add(items, { exporter: this.#exporterName });
    const hint = Math.max(
      1000,
      Math.min(this.#config.retry_on_failure.initial_interval, this.#config.retry_on_failure.max_interval),
    );
    const mebibytes = (bytes: number): string => (bytes / mebibyte).toFixed(1);
    return new RetryableError(
      `sending queue of exporter ${this.#exporterName} is full ` +
        `(${queue.size} of ${queue.capacity} requests waiting, ${mebibytes(queue.bytes)} of ${mebibytes(queue.maxBytes)} MiB held)`,
      { throttled: true, retryAfterMs: hint },
    );
  }

  /** Sends one request with retries. Never rejects: resolves with the final error, if any. */
  async #export(request: ExportRequest): Promise<RetryableError | PermanentError | undefined> {
    // `state` exists: requests are only created for configured signals.
    const state = this.#states.get(request.signal) as SignalState;
    const labels = { exporter: this.#exporterName };
    const noun = itemNames[request.signal];
    const fail = (error: RetryableError | PermanentError, message: string, extra: object = {}): typeof error => {
      state.sendFailed.add(request.items, labels);
      state.logger.error(
        { exporter: this.#exporterName, error: error.message, [`dropped_${noun}`]: request.items, ...extra },
        message,
      );
      return error;
    };
    const shutdownFailure = (): RetryableError => {
      state.undelivered += request.items;
      state.sendFailed.add(request.items, labels);
      return new RetryableError(`exporter ${this.#exporterName} shut down before the data was delivered`);
    };

    const body = request.body;

    const started = performance.now();
    for (let retry = 0; ; retry += 1) {
      if (this.#stop.signal.aborted) return shutdownFailure();
      let outcome: PartialSuccess | undefined;
      try {
        outcome = await this.#attempt(request.signal, body);
      } catch (error) {
        if (this.#stop.signal.aborted) return shutdownFailure();
        if (error instanceof PermanentError) {
          return fail(error, 'Exporting failed. The error is not retryable. Dropping data.');
        }
        const retryable =
          error instanceof RetryableError ? error : new RetryableError(errorMessage(error), { cause: error });
        const elapsed = performance.now() - started;
        const delay = this.#retry.nextDelay(retry, elapsed, retryable.retryAfterMs);
        if (delay === undefined) {
          const reason = this.#config.retry_on_failure.enabled ? 'No more retries left.' : 'Retry is disabled.';
          return fail(retryable, `Exporting failed. ${reason} Dropping data.`, { attempts: retry + 1 });
        }
        state.logger.info(
          { exporter: this.#exporterName, error: retryable.message, interval: formatDuration(delay) },
          'Exporting failed. Will retry the request after interval.',
        );
        if (!(await sleep(delay, this.#stop.signal))) return shutdownFailure();
        continue;
      }
      const rejected = Math.min(request.items, Math.max(0, outcome?.rejected ?? 0));
      if (rejected > 0 || (outcome !== undefined && outcome.errorMessage !== '')) {
        state.logger.warn(
          { exporter: this.#exporterName, message: outcome?.errorMessage ?? '', [`dropped_${noun}`]: rejected },
          'Partial success response',
        );
      }
      if (rejected > 0) state.sendFailed.add(rejected, labels);
      if (request.items - rejected > 0) state.sent.add(request.items - rejected, labels);
      return undefined;
    }
  }

  async #attempt(signal: Signal, body: Uint8Array): Promise<PartialSuccess | undefined> {
    const timeout = this.#config.timeout;
    const controller = new AbortController();
    const onStop = (): void => controller.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    const timer =
      timeout > 0
        ? setTimeout(
            () => controller.abort(new RetryableError(`export attempt timed out after ${formatDuration(timeout)}`)),
            timeout,
          )
        : undefined;
    try {
      return await this.#transport.send(signal, body, controller.signal);
    } catch (error) {
      // The transport may report the abort in its own words; the timeout's reason is clearer.
      if (controller.signal.aborted && controller.signal.reason instanceof RetryableError)
        throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
    }
  }
}
