import type { ClassificationUsage } from '@semtel/classifier';

/** US dollars per 1 million tokens. */
export interface ModelPrice {
  input: number;
  /** Cached input tokens; the input price when unset. */
  cachedInput?: number;
  output: number;
}

/**
 * DEFAULT prices (USD per 1M tokens, OpenAI standard tier list prices as known when this was written).
 * They are estimates for budgets and the cost metric, not billing: check your provider's current prices
 * and your contract (Azure, Batch/Flex, regional and negotiated prices differ) and override them with
 * `prices` in the config.
 */
export const defaultModelPrices: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
};

/**
 * Prices by model name. A model matches its exact entry or else the longest entry it starts with,
 * so dated snapshots (`gpt-4o-mini-2024-07-18`) find their family's price.
 */
export class PriceTable {
  private readonly prices: Map<string, ModelPrice>;

  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}, defaults = defaultModelPrices) {
    this.prices = new Map(
      Object.entries({ ...defaults, ...overrides }).map(([model, price]) => [model.toLowerCase(), price]),
    );
  }

  priceOf(model: string): ModelPrice | undefined {
    const name = model.toLowerCase();
    const exact = this.prices.get(name);
    if (exact) return exact;
    let best: { key: string; price: ModelPrice } | undefined;
    for (const [key, price] of this.prices) {
      if (name.startsWith(key) && (best === undefined || key.length > best.key.length)) best = { key, price };
    }
    return best?.price;
  }

  /** The cost of a request's usage in USD; undefined when the model has no price. */
  costOf(model: string, usage: ClassificationUsage): number | undefined {
    const price = this.priceOf(model);
    if (!price) return undefined;
    const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
    return (
      ((usage.inputTokens - cached) * price.input +
        cached * (price.cachedInput ?? price.input) +
        usage.outputTokens * price.output) /
      1_000_000
    );
  }
}
