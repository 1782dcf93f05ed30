import { describe, expect, it } from 'vitest';
import { PriceTable } from './price-table.js';
import { TokenBudget } from './token-budget.js';

describe('TokenBudget', () => {
  it('refuses a request that would take a window past its token cap, counting reservations in flight', () => {
    const budget = new TokenBudget({ hourly: { tokens: 1000 } }, () => 0);
    const first = budget.reserve(600, 0);
    expect(first).toBeDefined();
    expect(budget.reserve(600, 0)).toBeUndefined();
    budget.settle(first!, 300, 0);
    expect(budget.remaining()).toEqual([{ window: 'hourly', tokens: 700, resetsAt: 3_600_000 }]);
    expect(budget.reserve(600, 0)).toBeDefined();
  });

  it('releases a reservation that was never used', () => {
    const budget = new TokenBudget({ daily: { tokens: 100 } }, () => 0);
    const reservation = budget.reserve(100, 0);
    expect(budget.reserve(1, 0)).toBeUndefined();
    budget.release(reservation!);
    expect(budget.reserve(100, 0)).toBeDefined();
  });

  it('starts over at the top of the hour (UTC) and at midnight for the daily window', () => {
    let now = Date.parse('2026-03-01T10:59:00Z');
    const budget = new TokenBudget({ hourly: { tokens: 100 }, daily: { tokens: 150 } }, () => now);
    budget.settle(budget.reserve(100, 0)!, 100, 0);
    expect(budget.reserve(1, 0)).toBeUndefined();
    now = Date.parse('2026-03-01T11:00:00Z');
    expect(budget.remaining().map((window) => [window.window, window.tokens])).toEqual([
      ['hourly', 100],
      ['daily', 50],
    ]);
    expect(budget.reserve(60, 0)).toBeUndefined();
    budget.settle(budget.reserve(50, 0)!, 50, 0);
    now = Date.parse('2026-03-02T00:00:00Z');
    expect(budget.reserve(100, 0)).toBeDefined();
  });

  it('caps cost in USD as well as tokens', () => {
    const budget = new TokenBudget({ daily: { costUsd: 0.01 } }, () => 0);
    const reservation = budget.reserve(1_000_000, 0.006);
    expect(budget.reserve(10, 0.005)).toBeUndefined();
    budget.settle(reservation!, 1000, 0.001);
    expect(budget.reserve(10, 0.005)).toBeDefined();
    expect(new TokenBudget({}).enabled).toBe(false);
  });
});

describe('PriceTable', () => {
  it('prices usage with cached input, matching dated snapshots by their longest prefix', () => {
    const prices = new PriceTable();
    // gpt-4o-mini defaults: 0.15 input, 0.075 cached, 0.60 output per 1M.
    expect(
      prices.costOf('gpt-4o-mini-2024-07-18', {
        inputTokens: 2_000_000,
        cachedInputTokens: 1_000_000,
        outputTokens: 1_000_000,
      }),
    ).toBeCloseTo(0.15 + 0.075 + 0.6);
    expect(prices.priceOf('gpt-4o-2024-08-06')?.input).toBe(2.5);
    expect(prices.priceOf('gpt-4.1-mini')?.output).toBe(1.6);
    expect(prices.costOf('llama3.1:8b', { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 })).toBeUndefined();
  });

  it('lets the config override and add prices', () => {
    const prices = new PriceTable({ 'gpt-4o-mini': { input: 1, output: 2 }, llama: { input: 0, output: 0 } });
    expect(prices.costOf('gpt-4o-mini', { inputTokens: 1_000_000, cachedInputTokens: 500_000, outputTokens: 0 })).toBe(
      1,
    );
    expect(prices.costOf('llama3.1:8b', { inputTokens: 5, cachedInputTokens: 0, outputTokens: 5 })).toBe(0);
  });
});
