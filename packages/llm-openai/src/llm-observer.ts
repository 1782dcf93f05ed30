import type { ClassificationUsage } from '@semtel/classifier';
import type { CircuitState } from './circuit-breaker.js';
import type { LlmErrorKind } from './llm-error.js';
import type { RateLimitInfo } from './rate-limit-headers.js';
import type { BudgetRemaining } from './token-budget.js';

/** One HTTP attempt, for self-metrics and logs. Holds no content and no credentials. */
export interface LlmRequestEvent {
  /** The endpoint's name (never its key). */
  endpoint: string;
  model: string;
  /** `success`, or why the attempt failed: `rate_limited`, `quota_exhausted`, `timeout`, `server`, … */
  outcome: 'success' | LlmErrorKind;
  responseFormat: 'json_schema' | 'json_object';
  durationMs: number;
  /** Tokens charged to the rate limiter before sending (prompt estimate + maximum output). */
  chargedTokens: number;
  status?: number;
  usage?: ClassificationUsage;
  /** Estimated from the price table; absent when the model has no price. */
  costUsd?: number;
  rateLimits?: RateLimitInfo;
  retryAfterMs?: number;
}

/** Something an operator must act on: the endpoint is out of rotation until `cooldownMs` passes. */
export interface LlmAlert {
  kind: 'quota_exhausted' | 'authentication';
  endpoint: string;
  message: string;
  cooldownMs: number;
}

/** Why `classify` failed without sending anything. */
export type LlmRejection = 'unavailable' | 'over_budget' | 'quota_exhausted' | 'request_too_large' | 'rate_limited';

/**
 * Hooks for self-metrics. llm-openai cannot depend on the service's meter, so the service bridges
 * these to Prometheus (see the README for the metric names). Every hook is optional; exceptions
 * thrown by a hook are ignored.
 */
export interface LlmObserver {
  onRequest?(event: LlmRequestEvent): void;
  onConcurrencyLimit?(endpoint: string, limit: number): void;
  onCircuitState?(endpoint: string, state: CircuitState): void;
  onBudget?(remaining: BudgetRemaining[]): void;
  onAlert?(alert: LlmAlert): void;
  onRejected?(reason: LlmRejection): void;
}

/** The pino-like logger subset used for alerts and circuit changes. */
export interface LlmLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** The orchestrator's state, for observable gauges. */
export interface LlmOrchestratorSnapshot {
  /** `open` while no endpoint can take a request (classify fails fast with `unavailable`). */
  circuit: 'closed' | 'open';
  endpoints: {
    name: string;
    model: string;
    fallback: boolean;
    circuit: CircuitState;
    concurrencyLimit: number;
    inFlight: number;
    queued: number;
    requestsPerMinute?: number;
    tokensPerMinute?: number;
  }[];
  budget: BudgetRemaining[];
}
