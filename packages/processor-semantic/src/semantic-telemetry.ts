import type { ItemLabels } from '@semtel/classifier';
import type { Counter, Histogram, Meter } from '@semtel/component';

const holdBucketsSeconds = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

/** The semantic processor's self-metrics (design: "Self-telemetry"). */
export class SemanticTelemetry {
  private readonly spans: Counter;
  private readonly holdSeconds: Histogram;
  private readonly requests: Counter;
  private readonly requestSeconds: Histogram;
  private readonly interactions: Counter;
  private readonly items: Counter;
  private readonly lostSpans: Counter;

  constructor(
    meter: Meter,
    readers: {
      samplingRatio: () => number;
      expectedWaitMs: () => number;
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
    this.requests = meter.counter(
      'semtel_classification_batches_total',
      'Classification batches by outcome (success, invalid_items, error), whichever classifier served them',
      ['outcome'],
    );
    this.requestSeconds = meter.histogram(
      'semtel_classification_batch_duration_seconds',
      'Time to classify one batch, retries and rate-limit waits included',
      ['outcome'],
    );
    this.items = meter.counter('semtel_classification_items_total', 'Interactions sent for classification in batches');
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
      'The sampling ratio in force (adaptive sampling lowers it while the classifier cannot serve the load)',
      [],
      (observe) => observe(readers.samplingRatio()),
    );
    meter.observableGauge(
      'semtel_classifier_expected_wait_seconds',
      'How long an interaction sent now would wait for its labels: the backlog over the measured service rate (what adaptive sampling compares with max_wait)',
      [],
      (observe) => observe(readers.expectedWaitMs() / 1000),
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

  /** Token counts per LLM endpoint come from the LLM client's own metrics, attempt by attempt. */
  request(outcome: string, milliseconds: number, items: number): void {
    this.requests.add(1, { outcome });
    this.requestSeconds.record(milliseconds / 1000, { outcome });
    this.items.add(items);
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
