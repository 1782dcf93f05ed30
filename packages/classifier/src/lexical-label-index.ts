import { textTerms } from './text-terms.js';
import type { TaxonomyDimension } from './taxonomy.js';

/** Labels that mean "no clear answer": never scored, they are what a weak score falls back to. */
export const escapeLabelNames = new Set(['unknown', 'unclear', 'none', 'other']);

// BM25 parameters: term-frequency saturation and label-document length normalisation.
const k1 = 1.2;
const b = 0.5;
// How strongly repeated query terms count (BM25's k3).
const k3 = 2;

/** Weighted terms of a query: term → accumulated weight. */
export type QueryTerms = Map<string, number>;

export function addTerms(query: QueryTerms, text: string, weight: number): void {
  for (const term of textTerms(text)) query.set(term, (query.get(term) ?? 0) + weight);
}

/**
 * BM25 over one dimension's labels, each label a small document of its name (counted twice),
 * description and examples. IDF is computed across the dimension's labels, so words shared by many
 * labels weigh little.
 */
export class LexicalLabelIndex {
  readonly labels: string[];
  private readonly postings = new Map<string, { label: number; frequency: number }[]>();
  private readonly inverseFrequency = new Map<string, number>();
  private readonly lengthNorm: number[];

  constructor(dimension: TaxonomyDimension) {
    const scored = dimension.labels.filter((label) => !escapeLabelNames.has(label.name));
    this.labels = scored.map((label) => label.name);
    const lengths: number[] = [];
    scored.forEach((label, index) => {
      const frequencies = new Map<string, number>();
      const add = (text: string, weight: number): void => {
        for (const term of textTerms(text)) frequencies.set(term, (frequencies.get(term) ?? 0) + weight);
      };
      add(label.name.replace(/_/g, ' '), 2);
      add(label.description, 1);
      for (const example of label.examples ?? []) add(example, 1);
      let length = 0;
      for (const [term, frequency] of frequencies) {
        length += frequency;
        const list = this.postings.get(term) ?? [];
        list.push({ label: index, frequency });
        this.postings.set(term, list);
      }
      lengths.push(length);
    });
    const count = scored.length;
    for (const [term, list] of this.postings) {
      this.inverseFrequency.set(term, Math.log(1 + (count - list.length + 0.5) / (list.length + 0.5)));
    }
    const average = lengths.reduce((total, length) => total + length, 0) / Math.max(1, lengths.length);
    this.lengthNorm = lengths.map((length) => 1 - b + (b * length) / Math.max(1, average));
  }

  /** BM25 score of every scored label (same order as `labels`). */
  score(query: QueryTerms): number[] {
    const scores = new Array<number>(this.labels.length).fill(0);
    for (const [term, weight] of query) {
      const list = this.postings.get(term);
      if (!list) continue;
      const queryWeight = ((k3 + 1) * weight) / (k3 + weight);
      const inverse = this.inverseFrequency.get(term) ?? 0;
      for (const { label, frequency } of list) {
        const norm = this.lengthNorm[label] ?? 1;
        scores[label] = (scores[label] ?? 0) + (queryWeight * inverse * frequency * (k1 + 1)) / (frequency + k1 * norm);
      }
    }
    return scores;
  }
}
