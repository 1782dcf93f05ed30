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

export interface Classifier {
  readonly model: string;
  classify(items: ClassificationItem[], taxonomy: Taxonomy, signal?: AbortSignal): Promise<ClassificationOutcome>;
}
