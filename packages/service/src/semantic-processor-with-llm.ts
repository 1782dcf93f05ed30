import type { ProcessorFactory } from '@semtel/component';
import type { OpenAiClassifierConfigInput } from '@semtel/llm-openai';
import { OpenAiClassifier, openAiClassifierConfigSchema } from '@semtel/llm-openai';
import { createSemanticProcessorFactory } from '@semtel/processor-semantic';
import { RedisSharedState } from '@semtel/shared-state-redis';
import { createLlmMetricsObserver } from './llm-metrics-observer.js';
import { redisSharedStateConfigSchema } from './redis-shared-state-config.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The LLM endpoint the environment names, as the design's default run promises: the
 * service classifies with an LLM when OPENAI_API_KEY or OPENAI_BASE_URL is set.
 */
export function llmConfigFromEnvironment(environment: Environment): OpenAiClassifierConfigInput | undefined {
  const apiKey = environment.OPENAI_API_KEY?.trim() || undefined;
  const baseUrl = environment.OPENAI_BASE_URL?.trim() || undefined;
  if (apiKey === undefined && baseUrl === undefined) return undefined;
  return {
    ...(baseUrl !== undefined ? { base_url: baseUrl } : {}),
    ...(apiKey !== undefined ? { api_key: apiKey } : {}),
    ...(environment.SEMTEL_LLM_MODEL?.trim() ? { model: environment.SEMTEL_LLM_MODEL.trim() } : {}),
  };
}

/**
 * The `semantic` processor wired to llm-openai: configured `llm`, else the environment, else lexical;
 * with `shared_state`, to a Redis shared by the replicas (global rate limit, result cache).
 */
export function createSemanticProcessorWithLlm(environment: Environment): ProcessorFactory<unknown> {
  return createSemanticProcessorFactory({
    llmConfigSchema: openAiClassifierConfigSchema,
    sharedStateConfigSchema: redisSharedStateConfigSchema,
    createSharedState: (config, telemetry) =>
      new RedisSharedState({
        endpoint: config.endpoint,
        keyPrefix: config.key_prefix,
        ...(config.password !== undefined ? { password: config.password } : {}),
        connectTimeoutMs: config.connect_timeout,
        commandTimeoutMs: config.command_timeout,
        rateLimit: config.rate_limit,
        resultCache: config.result_cache,
        logger: telemetry.logger,
      }),
    createLlmClassifier: (config, telemetry, sharedState) => {
      const effective = config ?? llmConfigFromEnvironment(environment);
      if (effective === undefined) return undefined;
      // The gauges read the client's state at each scrape, from the moment it exists.
      let classifier: OpenAiClassifier | undefined = undefined;
      classifier = new OpenAiClassifier(effective, {
        observer: createLlmMetricsObserver(telemetry.meter, () => classifier?.snapshot()),
        // The component logger is pino's, which has the (object, message) form the client uses.
        logger: telemetry.logger,
        ...(sharedState?.rateLimiter ? { sharedRateLimiter: sharedState.rateLimiter } : {}),
      });
      return classifier;
    },
  }) as ProcessorFactory<unknown>;
}
