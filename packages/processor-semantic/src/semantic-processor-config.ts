import { taxonomyConfigSchema } from '@semtel/classifier';
import { durationSchema } from '@semtel/component';
import { z } from 'zod';
import type { PiiKind } from './pii-redactor.js';
import { customPiiPatternProblem, piiPlaceholders } from './pii-redactor.js';

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source, 'g');
    return true;
  } catch {
    return false;
  }
}

/** `shared_state` when the service offers no shared state: any value is an error that says so. */
const noSharedStateSchema = z.never({
  error: 'shared state is not available in this build (the service wires it, e.g. shared_state: {endpoint: redis://…})',
});

/**
 * The `semantic` processor's configuration. `llm` and `shared_state` are validated by the schemas
 * the service passes in (llm-openai's, shared-state-redis's), so this package never depends on a
 * particular LLM client or store.
 */
export function createSemanticProcessorConfigSchema<LlmConfig, SharedStateConfig = never>(
  llmSchema: z.ZodType<LlmConfig>,
  sharedStateSchema?: z.ZodType<SharedStateConfig>,
) {
  return (
    z
      .strictObject({
        llm: llmSchema.optional(),
        /** State shared with other replicas (global LLM rate limit, result cache); off when absent. */
        shared_state: ((sharedStateSchema ?? noSharedStateSchema) as z.ZodType<SharedStateConfig>).optional(),
        taxonomy: taxonomyConfigSchema.default('default'),
        batch: z
          .strictObject({
            max_tokens: z.number().int().min(500).default(12000),
            max_items: z.number().int().min(1).max(100).default(30),
            max_wait: durationSchema.default(2000),
          })
          .prefault({}),
        item: z.strictObject({ max_tokens: z.number().int().min(100).default(1500) }).prefault({}),
        max_hold: durationSchema.default(30_000),
        /** Unset: 5 s, or max_hold when that is shorter (see the transform below). */
        join_wait: durationSchema.optional(),
        max_held_spans: z.number().int().min(1).default(20_000),
        /** Classification requests in flight; `auto`: as many as the classifier says it can use, else 4. */
        max_concurrency: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
        request_timeout: durationSchema.default(60_000),
        sampling: z
          .strictObject({
            ratio: z.number().min(0).max(1).default(1),
            adaptive: z
              .strictObject({
                enabled: z.boolean().default(true),
                /**
                 * Expected wait of an interaction sent now (backlog ÷ measured service rate) above which a
                 * growing backlog lowers the ratio; unset: half of max_hold.
                 */
                max_wait: durationSchema.pipe(z.number().positive()).optional(),
                /** The same bound in interactions waiting; 0 = none (max_wait decides). */
                max_backlog: z.number().int().min(0).default(0),
                min_ratio: z.number().min(0).max(1).default(0.01),
              })
              .prefault({}),
          })
          .prefault({}),
        content: z.strictObject({ strip_after_classification: z.boolean().default(false) }).prefault({}),
        redaction: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** Built-in kinds to leave alone. */
            disable: z.array(z.enum(Object.keys(piiPlaceholders) as [PiiKind, ...PiiKind[]])).default([]),
            patterns: z
              .array(
                z
                  .strictObject({
                    name: z
                      .string()
                      .max(64)
                      .regex(/^[a-z][a-z0-9_]*$/, 'use lower-case letters, digits and "_"'),
                    regex: z.string().min(1).refine(isValidRegex, 'not a valid regular expression'),
                    /** Extra regular-expression flags: `i`, `m`, `s`, `u` (`g` is always added). */
                    flags: z.string().optional(),
                  })
                  // The redactor's own check, so what it would refuse at start is reported here with its path
                  // (a flag it does not take, a source that only the flags make invalid, an empty match).
                  .superRefine((entry, context) => {
                    // A source invalid without any flag is reported at `regex` already.
                    if (!isValidRegex(entry.regex)) return;
                    const problem = customPiiPatternProblem({
                      name: entry.name,
                      pattern: entry.regex,
                      flags: entry.flags,
                    });
                    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
                  }),
              )
              .default([]),
          })
          .prefault({}),
        budget: z
          .strictObject({
            /** When the LLM's token or cost budget is spent: classify offline, or release with over_budget. */
            on_exhausted: z.enum(['lexical', 'release']).default('lexical'),
          })
          .prefault({}),
        cache: z
          .strictObject({
            max_entries: z.number().int().min(1).default(10_000),
            ttl: durationSchema.default(3_600_000),
          })
          .prefault({}),
        retry: z.strictObject({ max_attempts: z.number().int().min(1).max(10).default(3) }).prefault({}),
        attribute_prefix: z
          .string()
          .regex(/^[a-z][a-z0-9_.]*$/, 'use lower-case letters, digits, "_" and "."')
          .default('semtel'),
        evaluation_events: z.boolean().default(true),
        /** Acknowledge a request only after its held spans went downstream (for a durable queue in front). */
        wait_for_release: z.boolean().default(false),
      })
      .superRefine((config, context) => {
        const maxWait = config.sampling.adaptive.max_wait;
        if (maxWait !== undefined && maxWait >= config.max_hold) {
          context.addIssue({
            code: 'custom',
            path: ['sampling', 'adaptive', 'max_wait'],
            message: `sampling.adaptive.max_wait (${maxWait} ms) must be below max_hold (${config.max_hold} ms): interactions that wait that long leave unlabelled before the ratio moves`,
          });
        }
        // A span waiting for its log events is still held, and nothing is held past max_hold.
        if (config.join_wait !== undefined && config.join_wait > config.max_hold) {
          context.addIssue({
            code: 'custom',
            path: ['join_wait'],
            message: `join_wait (${config.join_wait} ms) must not exceed max_hold (${config.max_hold} ms): a span waiting for its log events is held, and no span is held past max_hold`,
          });
        }
      })
      // A short max_hold alone must stay a valid config: the default join wait yields to it.
      .transform((config) => ({
        ...config,
        join_wait: config.join_wait ?? Math.min(defaultJoinWaitMs, config.max_hold),
      }))
      .prefault({})
  );
}

const defaultJoinWaitMs = 5000;

export type SemanticProcessorConfig<LlmConfig = unknown, SharedStateConfig = unknown> = z.output<
  ReturnType<typeof createSemanticProcessorConfigSchema<LlmConfig, SharedStateConfig>>
>;
