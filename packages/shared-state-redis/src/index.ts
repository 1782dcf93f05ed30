export { RedisSharedState } from './redis-shared-state.js';
export type { RedisSharedStateOptions } from './redis-shared-state.js';
export { RedisSharedRateLimiter } from './redis-shared-rate-limiter.js';
export type { RateLimitedEndpoint, RateLimitGrant } from './redis-shared-rate-limiter.js';
export { RedisSharedResultCache } from './redis-shared-result-cache.js';
export type { CachedClassification } from './redis-shared-result-cache.js';
export type { SharedStateLogger } from './fail-open-guard.js';
export { redisTestSkipReason, requireRedisVariable, startRedisServer } from './redis-server-process.js';
export type { RedisServerProcess } from './redis-server-process.js';
