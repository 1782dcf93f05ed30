import { describe, expect, it } from 'vitest';
import { createLlmMetricsObserver } from './llm-metrics-observer.js';
import { PrometheusMeter } from './prometheus-meter.js';

describe('createLlmMetricsObserver', () => {
  it('turns LLM client events into Prometheus series by endpoint', async () => {
    const meter = new PrometheusMeter();
    const observer = createLlmMetricsObserver(meter);
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
    observer.onConcurrencyLimit?.('azure-east', 6);
    observer.onCircuitState?.('azure-east', 'open');
    observer.onBudget?.([{ window: 'hourly', tokens: 9000, resetsAt: 0 }]);
    observer.onRejected?.('over_budget');
    const text = await meter.metricsText();
    expect(text).toMatch(/semtel_llm_requests_total\{endpoint="azure-east",outcome="success"\} 1/);
    expect(text).toMatch(/semtel_llm_rate_limited_total\{endpoint="azure-east"\} 1/);
    expect(text).toMatch(/semtel_llm_input_tokens_total\{endpoint="azure-east"\} 2500/);
    expect(text).toMatch(/semtel_llm_cached_input_tokens_total\{endpoint="azure-east"\} 1024/);
    expect(text).toMatch(/semtel_llm_cost_usd_total\{endpoint="azure-east"\} 0.0012/);
    expect(text).toMatch(/semtel_llm_concurrency_limit\{endpoint="azure-east"\} 6/);
    expect(text).toMatch(/semtel_llm_circuit_state\{endpoint="azure-east",state="open"\} 1/);
    expect(text).toMatch(/semtel_llm_circuit_state\{endpoint="azure-east",state="closed"\} 0/);
    expect(text).toMatch(/semtel_llm_budget_remaining_tokens\{window="hourly"\} 9000/);
    expect(text).toMatch(/semtel_llm_rejected_total\{reason="over_budget"\} 1/);
  });
});
