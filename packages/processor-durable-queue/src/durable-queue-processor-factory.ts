import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CreateSettings, NextConsumers, Processor, ProcessorFactory, Signal } from '@semtel/component';
import { formatComponentId } from '@semtel/component';
import {
  decodeLogs,
  decodeMetrics,
  decodeTraces,
  encodeLogs,
  encodeMetrics,
  encodeTraces,
  receivedProtobuf,
} from '@semtel/otlp';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { countDataPoints, countLogRecords, countSpans } from '@semtel/pdata';
import type { DurableQueueConfig } from './durable-queue-config.js';
import { durableQueueConfigSchema } from './durable-queue-config.js';
import { DurableQueueProcessor } from './durable-queue-processor.js';
import { InFlightBudget } from './in-flight-budget.js';
import { QueueCapacity } from './queue-capacity.js';
import { QueueStore } from './queue-store.js';
import type { SignalCodec, SignalQueueEvents } from './signal-queue.js';
import { SignalQueue } from './signal-queue.js';
import { setAsideDamagedStore } from './store-damage-recovery.js';
import { acquireStoreLock } from './store-lock.js';

const mebibyte = 1024 * 1024;

const itemNoun = { traces: 'spans', logs: 'log_records', metrics: 'metric_points' } as const satisfies Record<
  Signal,
  string
>;

// A request is stored as the OTLP protobuf it arrived in when the receiver has it on record:
// encoding it again costs about as much CPU as decoding it, and was what set the durable path's
// throughput (README, "Trade-off"). The record only holds for data as decoded; what may come
// before the queue (memory_limiter) only reads, and `semtel validate` rejects the semantic
// processor, which labels spans in place, before it.
export const tracesCodec: SignalCodec<Traces> = {
  encode: (traces) => receivedProtobuf(traces) ?? encodeTraces(traces, 'protobuf'),
  decode: (body) => decodeTraces(body, 'protobuf'),
  count: countSpans,
};

export const logsCodec: SignalCodec<Logs> = {
  encode: (logs) => receivedProtobuf(logs) ?? encodeLogs(logs, 'protobuf'),
  decode: (body) => decodeLogs(body, 'protobuf'),
  count: countLogRecords,
};

export const metricsCodec: SignalCodec<Metrics> = {
  encode: (metrics) => receivedProtobuf(metrics) ?? encodeMetrics(metrics, 'protobuf'),
  decode: (body) => decodeMetrics(body, 'protobuf'),
  count: countDataPoints,
};

/** The store file of a processor id: `durable_queue/gateway` → `<directory>/durable_queue_gateway.mdb`. */
export function storePath(directory: string, id: string): string {
  return resolve(directory, `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.mdb`);
}

export const durableQueueProcessorFactory: ProcessorFactory<DurableQueueConfig> = {
  type: 'durable_queue',
  signals: ['traces', 'logs', 'metrics'],
  configSchema: durableQueueConfigSchema,
  create(settings: CreateSettings, config: DurableQueueConfig, next: NextConsumers): Processor {
    const id = formatComponentId(settings.id);
    const { logger, meter } = settings.telemetry;
    const capacity = new QueueCapacity(config.max_size_mib * mebibyte, config.max_entries);
    const inFlightBudget = new InFlightBudget(config.max_in_flight_mib * mebibyte);
    const path = storePath(config.directory, id);
    const labels = { processor: id };

    const events = (signal: Signal): SignalQueueEvents => {
      const noun = itemNoun[signal];
      const counter = (name: string, help: string) =>
        meter.counter(`semtel_durable_queue_${name}_${noun}`, help, ['processor']);
      const persisted = counter(
        'persisted',
        `Number of ${noun} stored by the durable queue before acknowledging them.`,
      );
      const refused = counter(
        'refused',
        `Number of ${noun} the durable queue refused (full, shutting down, or a storage error).`,
      );
      const delivered = counter(
        'delivered',
        `Number of ${noun} delivered downstream and removed from the durable queue.`,
      );
      const failed = counter(
        'delivery_failed',
        `Number of ${noun} whose delivery failed and will be retried from disk.`,
      );
      const dropped = counter('dropped', `Number of ${noun} removed undelivered: downstream refused them permanently.`);
      return {
        persisted: (items) => persisted.add(items, labels),
        refused: (items) => refused.add(items, labels),
        delivered: (items) => delivered.add(items, labels),
        failed: (items) => failed.add(items, labels),
        dropped: (items) => dropped.add(items, labels),
      };
    };

    const processor = new DurableQueueProcessor(
      {
        id,
        openStore: async (lost) => {
          mkdirSync(dirname(path), { recursive: true });
          const lock = await acquireStoreLock(path, { logger, onLost: lost });
          try {
            // Only the lock's holder may move a damaged store aside: nobody else has it open.
            await setAsideDamagedStore(path, { logger });
            return { store: QueueStore.open(path, config.fsync), release: () => lock.release() };
          } catch (error) {
            lock.release();
            throw error;
          }
        },
        createQueues: (store) => {
          const common = {
            capacity,
            maxInFlight: config.max_in_flight,
            inFlightBudget,
            backoff: {
              initialMs: config.retry.initial_interval,
              maxMs: config.retry.max_interval,
              multiplier: config.retry.multiplier,
            },
            fullRetryAfterMs: config.retry_after,
            logger,
          };
          const { traces, logs, metrics } = next;
          return {
            ...(traces && {
              traces: new SignalQueue<Traces>({
                ...common,
                signal: 'traces',
                partition: store.partition('traces'),
                codec: tracesCodec,
                deliver: (data) => traces.consumeTraces(data),
                events: events('traces'),
              }),
            }),
            ...(logs && {
              logs: new SignalQueue<Logs>({
                ...common,
                signal: 'logs',
                partition: store.partition('logs'),
                codec: logsCodec,
                deliver: (data) => logs.consumeLogs(data),
                events: events('logs'),
              }),
            }),
            ...(metrics && {
              metrics: new SignalQueue<Metrics>({
                ...common,
                signal: 'metrics',
                partition: store.partition('metrics'),
                codec: metricsCodec,
                deliver: (data) => metrics.consumeMetrics(data),
                events: events('metrics'),
              }),
            }),
          };
        },
        capacity,
        shutdownWaitMs: config.shutdown_wait,
        drainOnShutdown: config.drain_on_shutdown,
        logger,
      },
      next,
    );

    meter.observableGauge(
      'semtel_durable_queue_size',
      'Requests stored in the durable queue, delivered or not yet (data_type = traces | logs | metrics).',
      ['processor', 'data_type'],
      (observe) => {
        for (const signal of ['traces', 'logs', 'metrics'] as const) {
          if (next[signal] !== undefined) observe(processor.stored(signal), { ...labels, data_type: signal });
        }
      },
    );
    meter.observableGauge(
      'semtel_durable_queue_size_bytes',
      'Bytes of encoded requests stored in the durable queue, every signal together.',
      ['processor'],
      (observe) => observe(capacity.usedBytes, labels),
    );
    meter.observableGauge(
      'semtel_durable_queue_capacity_bytes',
      'The durable queue’s max_size_mib in bytes.',
      ['processor'],
      (observe) => observe(capacity.maxBytes, labels),
    );
    meter.observableGauge(
      'semtel_durable_queue_in_flight_bytes',
      'Bytes of encoded requests the durable queue has handed downstream and not yet seen delivered.',
      ['processor'],
      (observe) => observe(inFlightBudget.usedBytes, labels),
    );
    logger.debug({ path, fsync: config.fsync }, 'durable queue store');
    return processor;
  },
};
