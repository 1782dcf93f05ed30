import { describe, expect, it } from 'vitest';
import { PrometheusMeter } from './prometheus-meter.js';

describe('PrometheusMeter', () => {
  it('exposes counters with _total, once, whoever asks for them', async () => {
    const meter = new PrometheusMeter();
    meter.counter('otelcol_receiver_accepted_spans', 'Accepted spans.', ['receiver']).add(2, { receiver: 'otlp' });
    meter.counter('otelcol_receiver_accepted_spans', 'Accepted spans.', ['receiver']).add(3, { receiver: 'otlp' });
    meter.counter('semtel_llm_requests_total', 'Requests.').add(1);
    const text = await meter.metricsText();
    expect(text).toMatch(/^otelcol_receiver_accepted_spans_total\{receiver="otlp"\} 5$/m);
    expect(text).toMatch(/^semtel_llm_requests_total 1$/m);
    expect(text.match(/# TYPE otelcol_receiver_accepted_spans_total counter/g)).toHaveLength(1);
  });

  it('rejects the same name with another kind or label set', () => {
    const meter = new PrometheusMeter();
    meter.gauge('queue_size', 'Queue size.', ['exporter']);
    expect(() => meter.histogram('queue_size', 'Queue size.')).toThrow('already registered as a gauge');
    expect(() => meter.gauge('queue_size', 'Queue size.', ['receiver'])).toThrow(
      'already registered with labels [exporter]',
    );
  });

  it('reads every observable gauge callback at scrape time and survives a failing one', async () => {
    const errors: string[] = [];
    const meter = new PrometheusMeter({ onRecordError: (_error, name) => errors.push(name) });
    let depth = 4;
    meter.observableGauge('otelcol_exporter_queue_size', 'Queue size.', ['exporter'], (observe) =>
      observe(depth, { exporter: 'a' }),
    );
    meter.observableGauge('otelcol_exporter_queue_size', 'Queue size.', ['exporter'], (observe) =>
      observe(7, { exporter: 'b' }),
    );
    meter.observableGauge('otelcol_exporter_queue_size', 'Queue size.', ['exporter'], () => {
      throw new Error('broken');
    });
    depth = 9;
    const text = await meter.metricsText();
    expect(text).toMatch(/^otelcol_exporter_queue_size\{exporter="a"\} 9$/m);
    expect(text).toMatch(/^otelcol_exporter_queue_size\{exporter="b"\} 7$/m);
    expect(errors).toEqual(['otelcol_exporter_queue_size']);
  });

  it('records histograms with given buckets and never throws on undeclared labels', async () => {
    const errors: string[] = [];
    const meter = new PrometheusMeter({ onRecordError: (_error, name) => errors.push(name) });
    const histogram = meter.histogram('semtel_hold_seconds', 'Hold time.', [], [1, 5]);
    histogram.record(3);
    meter.counter('strict', 'Strict.', ['a']).add(1, { b: 'x' });
    const text = await meter.metricsText();
    expect(text).toMatch(/^semtel_hold_seconds_bucket\{le="5"\} 1$/m);
    expect(text).toMatch(/^semtel_hold_seconds_bucket\{le="1"\} 0$/m);
    expect(errors).toEqual(['strict_total']);
  });

  it('includes process metrics under collector names, and prom-client defaults', async () => {
    const text = await new PrometheusMeter().metricsText();
    for (const name of [
      'otelcol_process_uptime_seconds_total',
      'otelcol_process_memory_rss_bytes',
      'otelcol_process_runtime_heap_alloc_bytes',
      'otelcol_process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    }
  });
});
