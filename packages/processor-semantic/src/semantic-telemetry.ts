import type { ClassificationUsage, ItemLabels } from '@semtel/classifier';
import type { Counter, Histogram, Meter } from '@semtel/component';

const holdBucketsSeconds = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

/** The semantic processor's self-metrics (design: "Self-telemetry"). */
export class SemanticTelemetry {
  private readonly spans: Counter;
  private readonly holdSeconds: Histogram;
  private readonly requests: Counter;
  private readonly requestSeconds: Histogram;
  private readonly inputTokens: Counter;
  private readonly outputTokens: Counter;
  private readonly cachedTokens: Counter;
  private readonly interactions: Counter;
  private readonly lostSpans: Counter;

  constructor(
    meter: Meter,
    readers: {
      samplingRatio: () => number;
      heldSpans: () => number;
      queuedItems: () => number;
      inFlightRequests: () => number;
    },
  ) {
    this.spans = meter.counter('semtel_genai_spans_total', 'GenAI spans by the semtel.status they left with', [
      'status',
    ]);
    this.holdSeconds = meter.histogram(
      'semtel_hold_duration_seconds',
      'Time GenAI spans were held before release',
      [],
      holdBucketsSeconds,
    );
    this.requests = meter.counter('semtel_llm_requests_total', 'Classification requests by outcome', ['outcome']);
    this.requestSeconds = meter.histogram('semtel_llm_request_duration_seconds', 'Classification request latency', [
      'outcome',
    ]);
    this.inputTokens = meter.counter('semtel_llm_input_tokens_total', 'Input tokens sent to the classifier');
    this.outputTokens = meter.counter('semtel_llm_output_tokens_total', 'Output tokens received from the classifier');
    this.cachedTokens = meter.counter(
      'semtel_llm_cached_input_tokens_total',
      'Input tokens served from the prompt cache',
    );
    this.interactions = meter.counter('semtel_interactions_total', 'Classified interactions by dimension and label', [
      'dimension',
      'label',
    ]);
    this.lostSpans = meter.counter(
      'semtel_released_spans_lost_total',
      'Released GenAI spans that could not be handed downstream within the retry limit',
    );
    meter.observableGauge(
      'semtel_sampling_ratio',
      'The sampling ratio in force (adaptive sampling lowers it under backlog)',
      [],
      (observe) => observe(readers.samplingRatio()),
    );
    meter.observableGauge('semtel_held_spans', 'GenAI spans held for classification now', [], (observe) =>
      observe(readers.heldSpans()),
    );
    meter.observableGauge(
      'semtel_classifier_queue_depth',
      'Interactions waiting for a classification request',
      [],
      (observe) => observe(readers.queuedItems()),
    );
    meter.observableGauge('semtel_classifier_in_flight_requests', 'Classification requests in flight', [], (observe) =>
      observe(readers.inFlightRequests()),
    );
  }

  status(status: string): void {
    this.spans.add(1, { status });
  }

  holdTime(milliseconds: number): void {
    this.holdSeconds.record(milliseconds / 1000);
  }

  request(outcome: string, milliseconds: number, usage?: ClassificationUsage): void {
    this.requests.add(1, { outcome });
    this.requestSeconds.record(milliseconds / 1000, { outcome });
    if (usage) {
      this.inputTokens.add(usage.inputTokens);
      this.outputTokens.add(usage.outputTokens);
      this.cachedTokens.add(usage.cachedInputTokens);
    }
  }

  interaction(labels: ItemLabels): void {
    for (const [dimension, value] of Object.entries(labels)) {
      for (const label of Array.isArray(value) ? value : [value]) this.interactions.add(1, { dimension, label });
    }
  }

  lost(count: number): void {
    this.lostSpans.add(count);
  }
}
