import type { Taxonomy } from './taxonomy.js';

/** Dimension name → label (multi-label dimensions: string[]); `unknown` when not determinable. */
export type ItemLabels = Record<string, string | string[]>;

/** One interaction to classify; the transcript is already truncated and redacted by the processor. */
export interface ClassificationItem {
  id: string;
  transcript: string;
}

export interface ClassificationUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export interface ClassificationOutcome {
  /** Valid items only, labels already snapped to the taxonomy. */
  labels: Map<string, ItemLabels>;
  /** Ids missing or invalid in the output; the processor re-sends them in smaller batches. */
  invalid: string[];
  model: string;
  usage?: ClassificationUsage;
  responseId?: string;
}

/** Per-call options of `Classifier.classify`; every field is optional, and a classifier may ignore any. */
export interface ClassifyOptions {
  /**
   * Epoch milliseconds after which the result is of no use (the caller releases its spans by then). A
   * classifier should not start work it cannot finish by then (a retry, a queued request) and fail at
   * once instead. `signal` still ends work in progress; an `AbortSignal.timeout` cannot tell its deadline.
   */
  readonly deadline?: number;
}

export interface Classifier {
  readonly model: string;
  /** How many requests this classifier can usefully have in flight; undefined when it does not say. */
  readonly maxConcurrency?: number;
  classify(
    items: ClassificationItem[],
    taxonomy: Taxonomy,
    signal?: AbortSignal,
    options?: ClassifyOptions,
  ): Promise<ClassificationOutcome>;
}
