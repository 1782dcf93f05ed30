import { durationSchema } from '@semtel/component';
import { z } from 'zod';

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * `processors.semantic.shared_state`: the Redis that semtel replicas share for a global LLM
 * token-rate budget and a result cache. Absent: each replica keeps its state to itself.
 */
export const redisSharedStateConfigSchema = z.strictObject({
  endpoint: z
    .string()
    .refine(isRedisUrl, 'must be a redis:// or rediss:// URL with a host, such as redis://127.0.0.1:6379'),
  key_prefix: z.string().max(200, 'at most 200 characters').default('semtel:'),
  password: z.string().min(1, 'must not be empty (leave it out, or put the password in the URL)').optional(),
  connect_timeout: durationSchema.default(2000),
  command_timeout: durationSchema.default(500),
  rate_limit: z.boolean().default(true),
  result_cache: z.boolean().default(true),
});

export type RedisSharedStateConfig = z.output<typeof redisSharedStateConfigSchema>;
