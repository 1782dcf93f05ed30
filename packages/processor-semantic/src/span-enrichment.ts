import type { ItemLabels, Taxonomy } from '@semtel/classifier';
import { computeRollups } from '@semtel/classifier';
import type { Span } from '@semtel/pdata';
import { getStringAttribute, setAttribute } from '@semtel/pdata';
import type { SemanticStatus } from './semantic-status.js';

export interface ClassificationResult {
  labels: ItemLabels;
  model: string;
}

export interface EnrichmentOptions {
  prefix: string;
  evaluationEvents: boolean;
}

/** Writes the status (and why, when it is not a success) without labels. */
export function markSpan(span: Span, status: SemanticStatus, options: EnrichmentOptions, reason?: string): void {
  setAttribute(span.attributes, `${options.prefix}.status`, status);
  if (reason !== undefined) setAttribute(span.attributes, `${options.prefix}.status_reason`, reason);
}

/** Writes the labels, roll-ups and provenance onto the span, per the design's contract. */
export function enrichSpan(
  span: Span,
  result: ClassificationResult,
  status: SemanticStatus,
  taxonomy: Taxonomy,
  options: EnrichmentOptions,
  nowUnixNano: bigint,
): void {
  const { prefix } = options;
  for (const dimension of taxonomy.dimensions) {
    if (!dimension.enabled) continue;
    const value = result.labels[dimension.name] ?? (dimension.multiLabel ? [] : 'unknown');
    setAttribute(span.attributes, `${prefix}.${dimension.name}`, Array.isArray(value) ? [...value] : value);
  }
  for (const [name, value] of Object.entries(computeRollups(result.labels, taxonomy))) {
    setAttribute(span.attributes, `${prefix}.${name}`, value);
  }
  setAttribute(span.attributes, `${prefix}.status`, status);
  setAttribute(span.attributes, `${prefix}.classifier.model`, result.model);
  setAttribute(span.attributes, `${prefix}.taxonomy.version`, taxonomy.version);
  if (!options.evaluationEvents) return;
  const responseId = getStringAttribute(span.attributes, 'gen_ai.response.id');
  for (const dimension of taxonomy.dimensions) {
    if (!dimension.enabled) continue;
    const value = result.labels[dimension.name] ?? 'unknown';
    const label = Array.isArray(value) ? value.join(',') : value;
    span.events.push({
      timeUnixNano: nowUnixNano,
      name: 'gen_ai.evaluation.result',
      attributes: [
        { key: 'gen_ai.evaluation.name', value: dimension.name },
        { key: 'gen_ai.evaluation.score.label', value: label },
        ...(responseId !== undefined ? [{ key: 'gen_ai.response.id', value: responseId }] : []),
      ],
      droppedAttributesCount: 0,
    });
  }
}
