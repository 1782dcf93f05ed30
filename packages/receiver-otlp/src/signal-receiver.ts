import type { Logger, NextConsumers, Signal } from '@semtel/component';
import { errorMessage } from '@semtel/component';
import type { Encoding } from '@semtel/otlp';
import { decodeLogs, decodeMetrics, decodeTraces, withReceivedProtobuf } from '@semtel/otlp';
import { countDataPoints, countLogRecords, countSpans } from '@semtel/pdata';
import type { ExportFailure } from './export-failure.js';
import { exportFailureFromError } from './export-failure.js';
import type { ReceiverMetrics, Transport } from './receiver-metrics.js';

/** A decoded export request, ready to hand to the pipeline. */
export interface DecodedRequest {
  readonly itemCount: number;
  consume(): Promise<void>;
}

type Decode = (body: Uint8Array, encoding: Encoding) => DecodedRequest;

/**
 * Hands `data` over with its protobuf body on record (see withReceivedProtobuf): the durable
 * queue then stores the body instead of encoding the data once more.
 */
function handOver(data: object, body: Uint8Array, encoding: Encoding, consume: () => Promise<void>): Promise<void> {
  return encoding === 'protobuf' ? withReceivedProtobuf(data, body, consume) : consume();
}

/**
 * One signal's path through the receiver, shared by both transports: decode the body, skip
 * empty requests, hand the data to the next consumer, count the outcome.
 */
export class SignalReceiver {
  private constructor(
    readonly signal: Signal,
    private readonly decodeRequest: Decode,
    private readonly metrics: ReceiverMetrics,
    private readonly logger: Logger,
  ) {}

  /** Throws the codec's error (a CodecError with a precise message) when the body is not a valid request. */
  decode(body: Uint8Array, encoding: Encoding): DecodedRequest {
    return this.decodeRequest(body, encoding);
  }

  /** Resolves to undefined on success; never rejects. */
  async deliver(request: DecodedRequest, transport: Transport): Promise<ExportFailure | undefined> {
    // The spec asks for success on an empty request, and the collector does not call the pipeline.
    if (request.itemCount === 0) return undefined;
    try {
      await request.consume();
      this.metrics.record(this.signal, transport, 'accepted', request.itemCount);
      return undefined;
    } catch (error) {
      const failure = exportFailureFromError(error);
      this.metrics.record(this.signal, transport, failure.outcome, request.itemCount);
      this.logger.debug(
        {
          signal: this.signal,
          transport,
          items: request.itemCount,
          outcome: failure.outcome,
          error: errorMessage(error),
        },
        'the pipeline did not accept an export request',
      );
      return failure;
    }
  }

  /** One receiver per signal that has a next consumer; signals without one are not served. */
  static forConsumers(next: NextConsumers, metrics: ReceiverMetrics, logger: Logger): Map<Signal, SignalReceiver> {
    const receivers = new Map<Signal, SignalReceiver>();
    const { traces, logs, metrics: metricsConsumer } = next;
    if (traces !== undefined) {
      const decode: Decode = (body, encoding) => {
        const data = decodeTraces(body, encoding);
        return {
          itemCount: countSpans(data),
          consume: () => handOver(data, body, encoding, () => traces.consumeTraces(data)),
        };
      };
      receivers.set('traces', new SignalReceiver('traces', decode, metrics, logger));
    }
    if (logs !== undefined) {
      const decode: Decode = (body, encoding) => {
        const data = decodeLogs(body, encoding);
        return {
          itemCount: countLogRecords(data),
          consume: () => handOver(data, body, encoding, () => logs.consumeLogs(data)),
        };
      };
      receivers.set('logs', new SignalReceiver('logs', decode, metrics, logger));
    }
    if (metricsConsumer !== undefined) {
      const decode: Decode = (body, encoding) => {
        const data = decodeMetrics(body, encoding);
        return {
          itemCount: countDataPoints(data),
          consume: () => handOver(data, body, encoding, () => metricsConsumer.consumeMetrics(data)),
        };
      };
      receivers.set('metrics', new SignalReceiver('metrics', decode, metrics, logger));
    }
    return receivers;
  }
}
