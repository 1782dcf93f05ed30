import type { LogsConsumer, MetricsConsumer, TracesConsumer } from '@semtel/component';
import { noopLogger, noopMeter } from '@semtel/component';
import { encodeLogs, encodeTraces, receivedProtobuf } from '@semtel/otlp';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { ReceiverMetrics } from './receiver-metrics.js';
import { SignalReceiver } from './signal-receiver.js';
import { sampleLogs, sampleMetricsJson, sampleTraces } from './test-support.js';

/** Notes, for every request it is handed, which body (if any) was on record for it meanwhile. */
class BodyWatcher implements TracesConsumer, LogsConsumer, MetricsConsumer {
  readonly seen: { data: object; body: Uint8Array | undefined }[] = [];
  private watch(data: object): Promise<void> {
    this.seen.push({ data, body: receivedProtobuf(data) });
    return Promise.resolve();
  }
  consumeTraces(traces: Traces): Promise<void> {
    return this.watch(traces);
  }
  consumeLogs(logs: Logs): Promise<void> {
    return this.watch(logs);
  }
  consumeMetrics(metrics: Metrics): Promise<void> {
    return this.watch(metrics);
  }
}

function receiversFor(consumer: BodyWatcher): Map<string, SignalReceiver> {
  const next = { traces: consumer, logs: consumer, metrics: consumer };
  return SignalReceiver.forConsumers(next, new ReceiverMetrics(noopMeter, 'otlp'), noopLogger);
}

describe('SignalReceiver', () => {
  it('hands protobuf requests over with the body they were decoded from on record, until answered', async () => {
    const consumer = new BodyWatcher();
    const receivers = receiversFor(consumer);
    const traces = encodeTraces(sampleTraces(2), 'protobuf');
    const logs = encodeLogs(sampleLogs(2), 'protobuf');
    for (const [signal, body] of [
      ['traces', traces],
      ['logs', logs],
    ] as const) {
      const receiver = receivers.get(signal) as SignalReceiver;
      expect(await receiver.deliver(receiver.decode(body, 'protobuf'), 'http')).toBeUndefined();
    }
    expect(consumer.seen.map((seen) => seen.body)).toEqual([traces, logs]);
    for (const seen of consumer.seen) expect(receivedProtobuf(seen.data)).toBeUndefined();
  });

  it('has no body on record for OTLP/JSON requests', async () => {
    const consumer = new BodyWatcher();
    const receiver = receiversFor(consumer).get('metrics') as SignalReceiver;
    const request = receiver.decode(new TextEncoder().encode(sampleMetricsJson), 'json');
    expect(await receiver.deliver(request, 'http')).toBeUndefined();
    expect(consumer.seen).toHaveLength(1);
    expect(consumer.seen[0]?.body).toBeUndefined();
  });
});
