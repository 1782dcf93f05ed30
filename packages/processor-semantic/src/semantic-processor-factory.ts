import type { Classifier } from '@semtel/classifier';
import { buildInstructions, countTokens, LexicalClassifier, resolveTaxonomy } from '@semtel/classifier';
import type { CreateSettings, NextConsumers, Processor, ProcessorFactory, TelemetrySettings } from '@semtel/component';
import { once } from '@semtel/component';
import { z } from 'zod';
import type { SemanticProcessorConfig } from './semantic-processor-config.js';
import { createSemanticProcessorConfigSchema } from './semantic-processor-config.js';
import { PiiRedactor } from './pii-redactor.js';
import { SemanticProcessor } from './semantic-processor.js';
import type { SharedState } from './shared-result-cache.js';
import { taxonomyScopedCache } from './shared-result-cache.js';

export interface SemanticProcessorFactoryOptions<
  LlmConfig,
  SharedStateConfig = never,
  State extends SharedState = SharedState,
> {
  /** Validates `processors.semantic.llm`; the service passes llm-openai's schema. */
  llmConfigSchema: z.ZodType<LlmConfig>;
  /**
   * The LLM classifier for this config, or undefined to classify offline with the lexical classifier.
   * `sharedState` is what `createSharedState` opened for `shared_state`, when configured.
   */
  createLlmClassifier(
    config: LlmConfig | undefined,
    telemetry: TelemetrySettings,
    sharedState?: State,
  ): Classifier | undefined;
  /** Validates `processors.semantic.shared_state`; without it, that key is refused. */
  sharedStateConfigSchema?: z.ZodType<SharedStateConfig>;
  /** Opens the state shared with other replicas; it starts and shuts down with the processor. */
  createSharedState?(config: SharedStateConfig, telemetry: TelemetrySettings): State;
  /** Resolves relative taxonomy paths; defaults to the working directory. */
  baseDirectory?: string;
}

export function createSemanticProcessorFactory<
  LlmConfig,
  SharedStateConfig = never,
  State extends SharedState = SharedState,
>(
  options: SemanticProcessorFactoryOptions<LlmConfig, SharedStateConfig, State>,
): ProcessorFactory<SemanticProcessorConfig<LlmConfig, SharedStateConfig>> {
  return {
    type: 'semantic',
    signals: ['traces', 'logs'],
    configSchema: createSemanticProcessorConfigSchema(
      options.llmConfigSchema,
      options.sharedStateConfigSchema,
    ) as z.ZodType<SemanticProcessorConfig<LlmConfig, SharedStateConfig>>,
    create(
      settings: CreateSettings,
      config: SemanticProcessorConfig<LlmConfig, SharedStateConfig>,
      next: NextConsumers,
    ): Processor {
      const taxonomy = resolveTaxonomy(config.taxonomy, { baseDirectory: options.baseDirectory ?? process.cwd() });
      const sharedStateConfig = config.shared_state as SharedStateConfig | undefined;
      const sharedState =
        sharedStateConfig !== undefined
          ? options.createSharedState?.(sharedStateConfig, settings.telemetry)
          : undefined;
      const llm = options.createLlmClassifier(config.llm as LlmConfig | undefined, settings.telemetry, sharedState);
      const classifier = llm ?? new LexicalClassifier();
      const maxConcurrency = resolveMaxConcurrency(config.max_concurrency, classifier);
      if (llm === undefined) {
        settings.telemetry.logger.info(
          { classifier: classifier.model, taxonomy: taxonomy.version, maxConcurrency },
          'classifying offline with the lexical classifier; to classify with an LLM set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible endpoint) or processors.semantic.llm',
        );
      } else {
        settings.telemetry.logger.info(
          { classifier: classifier.model, taxonomy: taxonomy.version, maxConcurrency },
          'classifying with an LLM',
        );
      }
      const instructionTokens = countTokens(buildInstructions(taxonomy));
      const processor = new SemanticProcessor(
        {
          taxonomy,
          classifier,
          instructionTokens,
          batch: {
            maxTokens: config.batch.max_tokens,
            maxItems: config.batch.max_items,
            maxWaitMs: config.batch.max_wait,
          },
          itemMaxTokens: config.item.max_tokens,
          maxHoldMs: config.max_hold,
          joinWaitMs: config.join_wait,
          maxHeldSpans: config.max_held_spans,
          maxConcurrency,
          requestTimeoutMs: config.request_timeout,
          samplingRatio: config.sampling.ratio,
          adaptiveSampling: {
            enabled: config.sampling.adaptive.enabled,
            maxBacklog: config.sampling.adaptive.max_backlog,
            minRatio: config.sampling.adaptive.min_ratio,
            maxWaitMs: config.sampling.adaptive.max_wait ?? config.max_hold / 2,
          },
          stripContent: config.content.strip_after_classification,
          ...(config.redaction.enabled ? { redact: createRedact(config.redaction) } : {}),
          onBudgetExhausted: config.budget.on_exhausted,
          waitForRelease: config.wait_for_release,
          cache: { maxEntries: config.cache.max_entries, ttlMs: config.cache.ttl },
          ...(sharedState?.resultCache
            ? { sharedCache: taxonomyScopedCache(sharedState.resultCache, taxonomy.version) }
            : {}),
          maxAttempts: config.retry.max_attempts,
          enrichment: { prefix: config.attribute_prefix, evaluationEvents: config.evaluation_events },
        },
        next,
        settings.telemetry,
      );
      return sharedState ? withSharedState(processor, sharedState) : processor;
    },
  };
}

/** The processor with its shared state: the state opens before it starts and closes after it drained. */
function withSharedState(processor: SemanticProcessor, sharedState: SharedState): Processor {
  return {
    start: async (host) => {
      await sharedState.start?.();
      await processor.start(host);
    },
    shutdown: once(async (deadline?: AbortSignal) => {
      try {
        await processor.shutdown(deadline);
      } finally {
        await sharedState.shutdown?.(deadline);
      }
    }),
    consumeTraces: (traces) => processor.consumeTraces(traces),
    consumeLogs: (logs) => processor.consumeLogs(logs),
  };
}

/** Without a figure from the classifier (the lexical one, a custom one), the old fixed default. */
const fallbackMaxConcurrency = 4;

/**
 * `max_concurrency` in force: a number as configured; `auto` follows the classifier, so requests wait
 * in its rate limiter (which knows when the endpoint has room) rather than in the processor's queue.
 */
function resolveMaxConcurrency(configured: number | 'auto', classifier: Classifier): number {
  if (configured !== 'auto') return configured;
  const offered = classifier.maxConcurrency;
  return offered !== undefined && Number.isFinite(offered) && offered >= 1
    ? Math.floor(offered)
    : fallbackMaxConcurrency;
}

function createRedact(config: SemanticProcessorConfig['redaction']): (text: string) => string {
  const redactor = new PiiRedactor({
    disable: config.disable,
    custom: config.patterns.map((entry) => ({ name: entry.name, pattern: entry.regex, flags: entry.flags })),
  });
  return (text) => redactor.redact(text).text;
}

/** The semantic processor with the offline lexical classifier only. */
export const semanticProcessorFactory = createSemanticProcessorFactory({
  llmConfigSchema: z.unknown(),
  createLlmClassifier: () => undefined,
});
