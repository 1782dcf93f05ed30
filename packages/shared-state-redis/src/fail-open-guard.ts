/** Where the shared state says that Redis went away and came back; pino's (object, message) form. */
export interface SharedStateLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/**
 * Runs Redis commands so that a failure never reaches telemetry: the caller gets its fallback (a
 * grant, a cache miss), the first failure of an outage is logged as a warning and the recovery as
 * info, so a long outage costs two log lines, not one per span.
 */
export class FailOpenGuard {
  private down = false;
  private failures = 0;

  constructor(
    private readonly logger: SharedStateLogger | undefined,
    private readonly target: string,
  ) {}

  /** Whether the latest command or connection attempt failed. */
  get unavailable(): boolean {
    return this.down;
  }

  /** Commands that failed (and fell back) since start. */
  get failedCommands(): number {
    return this.failures;
  }

  async run<Result>(operation: string, command: () => Promise<Result>, fallback: Result): Promise<Result> {
    try {
      const result = await command();
      this.markUp();
      return result;
    } catch (error) {
      this.failures += 1;
      this.markDown(error, operation);
      return fallback;
    }
  }

  markUp(): void {
    if (!this.down) return;
    this.down = false;
    this.logger?.info(
      { redis: this.target },
      'Redis shared state available again: global rate limit and shared cache back in use',
    );
  }

  markDown(error: unknown, operation: string): void {
    if (this.down) return;
    this.down = true;
    this.logger?.warn(
      { redis: this.target, operation, error: error instanceof Error ? error.message : String(error) },
      'Redis shared state unavailable: limiting LLM requests locally and using the local result cache only until it is back (reconnecting)',
    );
  }
}
