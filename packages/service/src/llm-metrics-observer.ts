import type { Meter } from '@semtel/component';
import type { LlmObserver, LlmOrchestratorSnapshot } from '@semtel/llm-openai';

const requestBucketsSeconds = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64];
const circuitStates = ['closed', 'half_open', 'open'] as const;
type Snapshot = () => LlmOrchestratorSnapshot | undefined;

/**
 * Bridges the LLM client's observer hooks to the service's Prometheus meter: llm-openai may not
 * depend on the component package, so the service translates. No content and no credentials pass.
 * The state gauges (concurrency limits, circuits, queues, budgets) are read from `snapshot` at every
 * scrape, so they are there from the start rather than after their first change; `snapshot` may
 * return undefined while the client is being built.
 */
export function createLlmMetricsObserver(
  meter: Meter,
  snapshot: () => LlmOrchestratorSnapshot | undefined,
): LlmObserver {
  const requests = meter.counter('semtel_llm_requests_total', 'LLM requests (HTTP attempts) by endpoint and outcome', [
    'endpoint',
    'outcome',
  ]);
  const duration = meter.histogram(
    'semtel_llm_request_duration_seconds',
    'LLM request latency by endpoint and outcome',
    ['endpoint', 'outcome'],
    requestBucketsSeconds,
  );
  const inputTokens = meter.counter('semtel_llm_input_tokens_total', 'Input tokens sent to the LLM', ['endpoint']);
  const outputTokens = meter.counter('semtel_llm_output_tokens_total', 'Output tokens received from the LLM', [
    'endpoint',
  ]);
  const cachedTokens = meter.counter(
    'semtel_llm_cached_input_tokens_total',
    'Input tokens the provider served from its prompt cache',
    ['endpoint'],
  );
  const cost = meter.counter('semtel_llm_cost_usd_total', 'Estimated LLM cost from the price table, in USD', [
    'endpoint',
  ]);
  const rateLimited = meter.counter('semtel_llm_rate_limited_total', 'LLM responses answered 429 rate limited', [
    'endpoint',
  ]);
  observeSnapshot(meter, snapshot);
  const alerts = meter.counter('semtel_llm_alerts_total', 'Endpoints taken out of rotation (quota, credentials)', [
    'endpoint',
    'kind',
  ]);
  const rejected = meter.counter(
    'semtel_llm_rejected_total',
    'Classification calls refused without sending (circuit open, over budget, ...)',
    ['reason'],
  );
  return {
    onRequest(event) {
      requests.add(1, { endpoint: event.endpoint, outcome: event.outcome });
      duration.record(event.durationMs / 1000, { endpoint: event.endpoint, outcome: event.outcome });
      if (event.outcome === 'rate_limited') rateLimited.add(1, { endpoint: event.endpoint });
      if (event.usage) {
        inputTokens.add(event.usage.inputTokens, { endpoint: event.endpoint });
        outputTokens.add(event.usage.outputTokens, { endpoint: event.endpoint });
        cachedTokens.add(event.usage.cachedInputTokens, { endpoint: event.endpoint });
      }
      if (event.costUsd !== undefined) cost.add(event.costUsd, { endpoint: event.endpoint });
    },
    onAlert(alert) {
      alerts.add(1, { endpoint: alert.endpoint, kind: alert.kind });
    },
    onRejected(reason) {
      rejected.add(1, { reason });
    },
  };
}

/** Observable gauges over the client's state, one series per endpoint (and per budget window). */
function observeSnapshot(meter: Meter, snapshot: Snapshot): void {
  const endpoints = (): LlmOrchestratorSnapshot['endpoints'] => snapshot()?.endpoints ?? [];
  meter.observableGauge(
    'semtel_llm_concurrency_limit',
    'Adaptive (AIMD) concurrency limit per endpoint',
    ['endpoint'],
    (observe) => {
      for (const endpoint of endpoints()) observe(endpoint.concurrencyLimit, { endpoint: endpoint.name });
    },
  );
  meter.observableGauge(
    'semtel_llm_in_flight_requests',
    'LLM requests in flight per endpoint',
    ['endpoint'],
    (observe) => {
      for (const endpoint of endpoints()) observe(endpoint.inFlight, { endpoint: endpoint.name });
    },
  );
  meter.observableGauge(
    'semtel_llm_queue_depth',
    'Requests waiting in the LLM client per endpoint, for a concurrency slot or rate-limit capacity',
    ['endpoint'],
    (observe) => {
      for (const endpoint of endpoints()) observe(endpoint.queued, { endpoint: endpoint.name });
    },
  );
  meter.observableGauge(
    'semtel_llm_circuit_state',
    '1 for the state each endpoint circuit is in, 0 for the others',
    ['endpoint', 'state'],
    (observe) => {
      for (const endpoint of endpoints())
        for (const state of circuitStates)
          observe(endpoint.circuit === state ? 1 : 0, { endpoint: endpoint.name, state });
    },
  );
  meter.observableGauge(
    'semtel_llm_budget_remaining_tokens',
    'Tokens left in the budget window (reservations of requests in flight count as spent)',
    ['window'],
    (observe) => {
      for (const window of snapshot()?.budget ?? [])
        if (window.tokens !== undefined) observe(window.tokens, { window: window.window });
    },
  );
  meter.observableGauge('semtel_llm_budget_remaining_usd', 'USD left in the budget window', ['window'], (observe) => {
    for (const window of snapshot()?.budget ?? [])
      if (window.costUsd !== undefined) observe(window.costUsd, { window: window.window });
  });
}
