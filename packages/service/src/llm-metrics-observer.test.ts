import type { LlmOrchestratorSnapshot } from '@semtel/llm-openai';
import { OpenAiClassifier } from '@semtel/llm-openai';
import { describe, expect, it } from 'vitest';
import { createLlmMetricsObserver } from './llm-metrics-observer.js';
import { PrometheusMeter } from './prometheus-meter.js';

describe('createLlmMetricsObserver', () => {
  it('turns LLM client events into Prometheus series by endpoint', async () => {
    const meter = new PrometheusMeter();
    const observer = createLlmMetricsObserver(meter, () => undefined);
    observer.onRequest?.({
      endpoint: 'azure-east',
      model: 'gpt-4o-mini',
      outcome: 'success',
      responseFormat: 'json_schema',
      durationMs: 1200,
      chargedTokens: 3000,
      usage: { inputTokens: 2500, outputTokens: 400, cachedInputTokens: 1024 },
      costUsd: 0.0012,
    });
    observer.onRequest?.({
      endpoint: 'azure-east',
      model: 'gpt-4o-mini',
      outcome: 'rate_limited',
      responseFormat: 'json_schema',
      durationMs: 30,
      chargedTokens: 3000,
    });
    observer.onRejected?.('over_budget');
    observer.onAlert?.({ kind: 'quota_exhausted', endpoint: 'azure-east', message: 'quota', cooldownMs: 1000 });
    const text = await meter.metricsText();
    expect(text).toMatch(/semtel_llm_requests_total\{endpoint="azure-east",outcome="success"\} 1/);
    expect(text).toMatch(/semtel_llm_rate_limited_total\{endpoint="azure-east"\} 1/);
    expect(text).toMatch(/semtel_llm_input_tokens_total\{endpoint="azure-east"\} 2500/);
    expect(text).toMatch(/semtel_llm_cached_input_tokens_total\{endpoint="azure-east"\} 1024/);
    expect(text).toMatch(/semtel_llm_cost_usd_total\{endpoint="azure-east"\} 0.0012/);
    expect(text).toMatch(/semtel_llm_rejected_total\{reason="over_budget"\} 1/);
    expect(text).toMatch(/semtel_llm_alerts_total\{endpoint="azure-east",kind="quota_exhausted"\} 1/);
  });

  it('exposes concurrency, circuits, queue depth and budgets from the start, before anything changed', async () => {
    const meter = new PrometheusMeter();
    let classifier: OpenAiClassifier | undefined = undefined;
    classifier = new OpenAiClassifier(
      {
        endpoints: [
          { name: 'east', base_url: 'http://127.0.0.1:9/v1' },
          { name: 'west', base_url: 'http://127.0.0.1:10/v1' },
        ],
        concurrency: { initial: 6 },
        budget: { hourly: { tokens: 9000 }, daily: { cost_usd: 5 } },
      },
      { observer: createLlmMetricsObserver(meter, () => classifier?.snapshot()) },
    );
    const text = await meter.metricsText();
    for (const endpoint of ['east', 'west']) {
      expect(text).toContain(`semtel_llm_concurrency_limit{endpoint="${endpoint}"} 6`);
      expect(text).toContain(`semtel_llm_circuit_state{endpoint="${endpoint}",state="closed"} 1`);
      expect(text).toContain(`semtel_llm_circuit_state{endpoint="${endpoint}",state="open"} 0`);
      expect(text).toContain(`semtel_llm_queue_depth{endpoint="${endpoint}"} 0`);
      expect(text).toContain(`semtel_llm_in_flight_requests{endpoint="${endpoint}"} 0`);
    }
    expect(text).toContain('semtel_llm_budget_remaining_tokens{window="hourly"} 9000');
    expect(text).toContain('semtel_llm_budget_remaining_usd{window="daily"} 5');
  });

  it('reads the state again at every scrape', async () => {
    const meter = new PrometheusMeter();
    const state: LlmOrchestratorSnapshot = {
      circuit: 'closed',
      endpoints: [
        { name: 'east', model: 'm', fallback: false, circuit: 'closed', concurrencyLimit: 8, inFlight: 0, queued: 0 },
      ],
      budget: [],
    };
    createLlmMetricsObserver(meter, () => state);
    state.endpoints[0] = { ...(state.endpoints[0] as LlmOrchestratorSnapshot['endpoints'][0]), circuit: 'open' };
    state.endpoints[0].concurrencyLimit = 6;
    state.endpoints[0].inFlight = 6;
    state.endpoints[0].queued = 11;
    const text = await meter.metricsText();
    expect(text).toContain('semtel_llm_circuit_state{endpoint="east",state="open"} 1');
    expect(text).toContain('semtel_llm_circuit_state{endpoint="east",state="closed"} 0');
    expect(text).toContain('semtel_llm_concurrency_limit{endpoint="east"} 6');
    expect(text).toContain('semtel_llm_in_flight_requests{endpoint="east"} 6');
    expect(text).toContain('semtel_llm_queue_depth{endpoint="east"} 11');
  });
});
