export type BudgetWindowName = 'hourly' | 'daily';

/** A cap on tokens (input + output) and/or estimated cost in USD for one window. */
export interface BudgetLimit {
  tokens?: number;
  costUsd?: number;
}

export interface BudgetRemaining {
  window: BudgetWindowName;
  /** Tokens left in the current window; undefined when the window has no token cap. */
  tokens?: number;
  costUsd?: number;
  /** When the current window ends (epoch ms). */
  resetsAt: number;
}

/** A charge held while its request is in flight. */
export interface BudgetReservation {
  tokens: number;
  costUsd: number;
}

const windowLengths: Record<BudgetWindowName, number> = { hourly: 3_600_000, daily: 86_400_000 };

class BudgetWindow {
  private start = 0;
  private spentTokens = 0;
  private spentCost = 0;
  reservedTokens = 0;
  reservedCost = 0;

  constructor(
    readonly name: BudgetWindowName,
    private readonly limit: BudgetLimit,
  ) {}

  /** Fixed UTC windows (the top of the hour, midnight): a user reads "per day" as a calendar day. */
  roll(now: number): void {
    const length = windowLengths[this.name];
    const start = now - (now % length);
    if (start === this.start) return;
    this.start = start;
    this.spentTokens = 0;
    this.spentCost = 0;
  }

  admits(tokens: number, costUsd: number): boolean {
    if (this.limit.tokens !== undefined && this.spentTokens + this.reservedTokens + tokens > this.limit.tokens)
      return false;
    if (this.limit.costUsd !== undefined && this.spentCost + this.reservedCost + costUsd > this.limit.costUsd)
      return false;
    return true;
  }

  spend(tokens: number, costUsd: number): void {
    this.spentTokens += tokens;
    this.spentCost += costUsd;
  }

  remaining(): BudgetRemaining {
    return {
      window: this.name,
      ...(this.limit.tokens !== undefined
        ? { tokens: Math.max(0, this.limit.tokens - this.spentTokens - this.reservedTokens) }
        : {}),
      ...(this.limit.costUsd !== undefined
        ? { costUsd: Math.max(0, this.limit.costUsd - this.spentCost - this.reservedCost) }
        : {}),
      resetsAt: this.start + windowLengths[this.name],
    };
  }
}

/**
 * Hourly and daily token and cost budgets. A request reserves its estimated tokens and cost before it
 * is sent (so concurrent requests cannot overshoot together) and settles with its real usage; a
 * request that would take a window past its cap is refused.
 */
export class TokenBudget {
  private readonly windows: BudgetWindow[];
  private readonly now: () => number;

  constructor(limits: Partial<Record<BudgetWindowName, BudgetLimit>>, now: () => number = Date.now) {
    this.now = now;
    this.windows = (Object.keys(windowLengths) as BudgetWindowName[])
      .filter((name) => limits[name]?.tokens !== undefined || limits[name]?.costUsd !== undefined)
      .map((name) => new BudgetWindow(name, limits[name] as BudgetLimit));
  }

  get enabled(): boolean {
    return this.windows.length > 0;
  }

  /** Reserves a request's estimate; undefined when a window would go past its cap. */
  reserve(tokens: number, costUsd: number): BudgetReservation | undefined {
    const now = this.now();
    for (const window of this.windows) window.roll(now);
    if (!this.windows.every((window) => window.admits(tokens, costUsd))) return undefined;
    for (const window of this.windows) {
      window.reservedTokens += tokens;
      window.reservedCost += costUsd;
    }
    return { tokens, costUsd };
  }

  /** The request finished: its reservation is replaced by what it really used (in the current window). */
  settle(reservation: BudgetReservation, usedTokens: number, usedCostUsd: number): void {
    this.release(reservation);
    for (const window of this.windows) window.spend(usedTokens, usedCostUsd);
  }

  /** The request was never answered: nothing was used. */
  release(reservation: BudgetReservation): void {
    const now = this.now();
    for (const window of this.windows) {
      window.roll(now);
      window.reservedTokens = Math.max(0, window.reservedTokens - reservation.tokens);
      window.reservedCost = Math.max(0, window.reservedCost - reservation.costUsd);
    }
  }

  remaining(): BudgetRemaining[] {
    const now = this.now();
    return this.windows.map((window) => {
      window.roll(now);
      return window.remaining();
    });
  }
}
