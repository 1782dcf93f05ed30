import { Redis } from 'ioredis';
import { FailOpenGuard } from './fail-open-guard.js';
import type { SharedStateLogger } from './fail-open-guard.js';
import { RedisSharedRateLimiter } from './redis-shared-rate-limiter.js';
import { RedisSharedResultCache } from './redis-shared-result-cache.js';

export interface RedisSharedStateOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. */
  endpoint: string;
  /** Prepended to every key, so several deployments can share one Redis. Default `semtel:`. */
  keyPrefix?: string;
  /** Overrides the URL's password (e.g. from `${env:REDIS_PASSWORD}`). */
  password?: string;
  /** How long the start waits for the first connection before going on without it. Default 2000. */
  connectTimeoutMs?: number;
  /** How long a command may take before it counts as failed (and falls back). Default 500. */
  commandTimeoutMs?: number;
  /** Share a global token-rate budget per LLM endpoint. Default true. */
  rateLimit?: boolean;
  /** Share classification results. Default true. */
  resultCache?: boolean;
  logger?: SharedStateLogger;
}

/** Reconnect backoff: 50 ms doubling up to 2 s, forever; the state fails open meanwhile. */
function reconnectDelay(attempts: number): number {
  return Math.min(2000, 50 * 2 ** Math.min(attempts, 6));
}

/**
 * State shared by semtel replicas through one Redis: a global token-rate budget per LLM endpoint
 * (`rateLimiter`, for llm-openai) and a result cache (`resultCache`, for processor-semantic).
 * Commands never queue while Redis is away and time out after `commandTimeoutMs`: the state fails
 * open to local limiting and the local cache, logs the outage once, and reconnects in the background.
 */
export class RedisSharedState {
  readonly rateLimiter: RedisSharedRateLimiter | undefined;
  readonly resultCache: RedisSharedResultCache | undefined;
  /** `host:port` of the server, without credentials, for logs. */
  readonly target: string;
  private readonly client: Redis;
  private readonly guard: FailOpenGuard;
  private readonly connectTimeoutMs: number;
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(options: RedisSharedStateOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new Error(`shared state endpoint must be a redis:// or rediss:// URL, got ${url.protocol}//`);
    }
    this.target = `${url.hostname}:${url.port || '6379'}`;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.guard = new FailOpenGuard(options.logger, this.target);
    this.client = new Redis(options.endpoint, {
      lazyConnect: true,
      // Fail at once while disconnected instead of piling commands up: the callers fall back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: this.connectTimeoutMs,
      retryStrategy: reconnectDelay,
      ...(options.password !== undefined ? { password: options.password } : {}),
    });
    // Without a listener ioredis prints every connection error; the guard logs an outage once.
    this.client.on('error', (error: unknown) => this.guard.markDown(error, 'connection'));
    this.client.on('ready', () => this.guard.markUp());
    const keyPrefix = options.keyPrefix ?? 'semtel:';
    this.rateLimiter =
      options.rateLimit === false ? undefined : new RedisSharedRateLimiter(this.client, keyPrefix, this.guard);
    this.resultCache =
      options.resultCache === false ? undefined : new RedisSharedResultCache(this.client, keyPrefix, this.guard);
  }

  /** Whether Redis is away (the state is failing open). */
  get unavailable(): boolean {
    return this.guard.unavailable || this.client.status !== 'ready';
  }

  /** Commands that failed and fell back since start. */
  get failedCommands(): number {
    return this.guard.failedCommands;
  }

  /**
   * Connects, waiting at most `connectTimeoutMs`. Never fails: without Redis the service runs on
   * local state, and the client keeps reconnecting.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'started';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no connection within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
    });
    try {
      await Promise.race([this.client.connect(), timeout]);
      this.guard.markUp();
    } catch (error) {
      this.guard.markDown(error, 'connect');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection (QUIT when connected, else at once). Safe twice and before start. */
  async shutdown(deadline?: AbortSignal): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.client.status === 'ready' && !deadline?.aborted) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.client.quit().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 1000);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
    this.client.disconnect();
  }
}
