export { deadlineExceededCode, OpenAiClassifier } from './openai-classifier.js';
export type { ClassifyCallOptions, OpenAiClassifierOptions } from './openai-classifier.js';
export type {
  LlmAlert,
  LlmLogger,
  LlmObserver,
  LlmOrchestratorSnapshot,
  LlmRejection,
  LlmRequestEvent,
} from './llm-observer.js';
export { openAiClassifierConfigSchema, resolveEndpoints } from './openai-classifier-config.js';
export type {
  EndpointConfig,
  OpenAiClassifierConfig,
  OpenAiClassifierConfigInput,
  ResolvedEndpoint,
} from './openai-classifier-config.js';
export {
  isParameterUnsupported,
  isResponseFormatUnsupported,
  LlmError,
  redactSecrets,
  toLlmError,
} from './llm-error.js';
export { chooseOutputLimitParameter, otherOutputLimitParameter } from './output-limit-parameter.js';
export type { OutputLimitParameter, OutputLimitParameterSetting } from './output-limit-parameter.js';
export type { LlmErrorDetails, LlmErrorKind } from './llm-error.js';
export { parseRateLimitHeaders, parseRetryAfterMs } from './rate-limit-headers.js';
export type { HeadersLike, RateLimitInfo, RateLimitWindow } from './rate-limit-headers.js';
export { estimateRateLimitWaitMs } from './rate-limit-wait.js';
export type { KnownRates, RateLimitCharge } from './rate-limit-wait.js';
export { parseRetryHintText } from './retry-hint-text.js';
export { RetryPolicy } from './retry-policy.js';
export type { RetryEvent, RetryPolicyOptions } from './retry-policy.js';
export { parseGoDuration } from './go-duration.js';
export { TokenBucket } from './token-bucket.js';
export { EndpointRateLimiter, sharedLimitSaturatedCode } from './endpoint-rate-limiter.js';
export type { EndpointRateLimiterOptions, SharedLimitOptions } from './endpoint-rate-limiter.js';
export type { SharedRateLimitEndpoint, SharedRateLimitGrant, SharedRateLimiter } from './shared-rate-limiter.js';
export { AimdConcurrencyController } from './concurrency-controller.js';
export type { ConcurrencyControllerOptions } from './concurrency-controller.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type { CircuitBreakerOptions, CircuitState } from './circuit-breaker.js';
export { TokenBudget } from './token-budget.js';
export type { BudgetLimit, BudgetRemaining, BudgetReservation, BudgetWindowName } from './token-budget.js';
export { defaultModelPrices, PriceTable } from './price-table.js';
export type { ModelPrice } from './price-table.js';
export { EndpointRouter } from './endpoint-router.js';
export type { RouteChoice } from './endpoint-router.js';
export { LlmEndpoint } from './llm-endpoint.js';
export type { EndpointResponse, LlmEndpointOptions } from './llm-endpoint.js';
