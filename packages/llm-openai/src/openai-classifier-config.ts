import { z } from 'zod';
import { parseGoDuration } from './go-duration.js';

/** A duration: a Go-style string (`500ms`, `60s`, `1m30s`) or a number of milliseconds. */
const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((value, context) => {
  if (typeof value === 'number') return value;
  const parsed = parseGoDuration(value);
  if (parsed === undefined) {
    context.addIssue({ code: 'custom', message: `invalid duration "${value}" (use forms like 500ms, 5s, 1m30s)` });
    return z.NEVER;
  }
  return parsed;
});

const retrySchema = z
  .object({
    /** Attempts in total, the first included. */
    max_attempts: z.number().int().min(1).max(10).default(3),
    initial_backoff: durationSchema.default(500),
    max_backoff: durationSchema.default(20_000),
    /** A longer retry-after than this is handed to the caller instead of waited for. */
    max_retry_delay: durationSchema.default(60_000),
  })
  .strict();

/** Configuration of an OpenAI-compatible classifier endpoint (snake_case, as in the service YAML). */
export const openAiClassifierConfigSchema = z
  .object({
    /** OpenAI-compatible base URL (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, …); for Azure, the resource endpoint. */
    base_url: z.url({ protocol: /^https?$/ }).optional(),
    /** Usually `${env:OPENAI_API_KEY}`. Never logged; redacted from every error message. */
    api_key: z.string().min(1).optional(),
    model: z.string().min(1).default('gpt-4o-mini'),
    /** Extra request headers (e.g. for a gateway). Values of headers named like auth/key/token/secret are redacted from errors. */
    headers: z.record(z.string(), z.string()).default({}),
    /** Whole-request timeout, body included. */
    timeout: durationSchema.pipe(z.number().positive()).default(60_000),
    azure: z
      .object({
        deployment: z.string().min(1),
        api_version: z.string().min(1),
      })
      .strict()
      .optional(),
    /** `auto` tries `json_schema` and falls back to `json_object` for good once the endpoint refuses it. */
    response_format: z.enum(['auto', 'json_schema', 'json_object']).default('auto'),
    /** Sent as `max_completion_tokens`. Unset: no limit is sent. */
    max_output_tokens: z.number().int().positive().optional(),
    /** `null` leaves temperature out (some reasoning models accept only their default). */
    temperature: z.number().min(0).max(2).nullable().default(0),
    /** Sent as `prompt_cache_key` to improve OpenAI prompt-cache routing. */
    prompt_cache_key: z.string().min(1).optional(),
    retry: retrySchema.prefault({}),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.azure && config.base_url === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['base_url'],
        message: 'azure needs base_url, the resource endpoint (https://<resource>.openai.azure.com)',
      });
    }
    if (config.azure && config.api_key === undefined) {
      context.addIssue({ code: 'custom', path: ['api_key'], message: 'azure needs api_key' });
    }
  });

export type OpenAiClassifierConfigInput = z.input<typeof openAiClassifierConfigSchema>;
export type OpenAiClassifierConfig = z.output<typeof openAiClassifierConfigSchema>;
