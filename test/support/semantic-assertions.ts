/**
 * Checks on what the semantic processor wrote onto a span, against the design's attribute
 * contract: `semtel.<dimension>`, roll-ups, status, classifier model, taxonomy version and
 * one `gen_ai.evaluation.result` event per enabled dimension.
 */
import type { Taxonomy } from '@semtel/classifier';
import { allowedLabels, computeRollups, enabledDimensions } from '@semtel/classifier';
import type { AnyValue, KeyValue, Span } from '@semtel/pdata';
import { getAttribute, getStringAttribute } from '@semtel/pdata';
import type { SpanWithContext } from '@semtel/testing';

export const prefix = 'semtel';
export const evaluationEventName = 'gen_ai.evaluation.result';

export function semtelStatus(span: Span): string | undefined {
  return getStringAttribute(span.attributes, `${prefix}.status`);
}

function describe(value: AnyValue): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}n` : item));
}

/**
 * Every label-like value on the span that is not allowed: `semtel.<dimension>` attributes, roll-ups
 * and evaluation-event labels. Empty means no off-taxonomy label reached the span, whatever its status.
 */
export function offTaxonomyLabels(span: Span, taxonomy: Taxonomy): string[] {
  const problems: string[] = [];
  for (const dimension of taxonomy.dimensions) {
    const value = getAttribute(span.attributes, `${prefix}.${dimension.name}`);
    if (value === undefined) continue;
    const allowed = allowedLabels(dimension);
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (typeof item !== 'string' || !allowed.includes(item))
        problems.push(`${prefix}.${dimension.name}=${describe(value)} is not in the taxonomy`);
    }
  }
  for (const rollup of taxonomy.rollups ?? []) {
    const value = getAttribute(span.attributes, `${prefix}.${rollup.name}`);
    if (value === undefined) continue;
    if (typeof value !== 'string' || !(value in rollup.groups || value === 'unknown'))
      problems.push(`${prefix}.${rollup.name}=${describe(value)} is not a roll-up group`);
  }
  for (const event of span.events) {
    if (event.name !== evaluationEventName) continue;
    const name = getStringAttribute(event.attributes, 'gen_ai.evaluation.name');
    const label = getStringAttribute(event.attributes, 'gen_ai.evaluation.score.label');
    const dimension = taxonomy.dimensions.find((candidate) => candidate.name === name);
    if (dimension === undefined || label === undefined) {
      problems.push(`evaluation event ${String(name)}=${String(label)} names no taxonomy dimension`);
      continue;
    }
    const allowed = allowedLabels(dimension);
    const labels = dimension.multiLabel ? label.split(',').filter((part) => part !== '') : [label];
    for (const item of labels) {
      if (!allowed.includes(item)) problems.push(`evaluation event ${name}=${label} is not in the taxonomy`);
    }
  }
  return problems;
}

/**
 * Everything wrong with a span that should carry labels: each enabled dimension present and
 * valid, roll-ups equal to what the labels imply, provenance attributes, and the evaluation
 * events. Empty means the span is labelled as the contract says.
 */
export function labelProblems(span: Span, taxonomy: Taxonomy, expected: { model: string }): string[] {
  const problems = offTaxonomyLabels(span, taxonomy);
  const labels: Record<string, string | string[]> = {};
  for (const dimension of enabledDimensions(taxonomy)) {
    const value = getAttribute(span.attributes, `${prefix}.${dimension.name}`);
    if (dimension.multiLabel) {
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
        problems.push(`${prefix}.${dimension.name} should be a string array, is ${describe(value)}`);
      else labels[dimension.name] = value as string[];
    } else if (typeof value !== 'string') {
      problems.push(`${prefix}.${dimension.name} should be a string, is ${describe(value)}`);
    } else labels[dimension.name] = value;
  }
  for (const [name, value] of Object.entries(computeRollups(labels, taxonomy))) {
    const actual = getAttribute(span.attributes, `${prefix}.${name}`);
    if (actual !== value) problems.push(`roll-up ${prefix}.${name}=${describe(actual)}, the labels imply ${value}`);
  }
  const model = getStringAttribute(span.attributes, `${prefix}.classifier.model`);
  if (model !== expected.model)
    problems.push(`${prefix}.classifier.model=${String(model)}, expected ${expected.model}`);
  const version = getStringAttribute(span.attributes, `${prefix}.taxonomy.version`);
  if (version !== taxonomy.version)
    problems.push(`${prefix}.taxonomy.version=${String(version)}, expected ${taxonomy.version}`);
  const evaluated = span.events
    .filter((event) => event.name === evaluationEventName)
    .map((event) => getStringAttribute(event.attributes, 'gen_ai.evaluation.name'))
    .sort();
  const dimensions = enabledDimensions(taxonomy)
    .map((dimension) => dimension.name)
    .sort();
  if (JSON.stringify(evaluated) !== JSON.stringify(dimensions))
    problems.push(`evaluation events for ${evaluated.join(',')}, expected one per dimension: ${dimensions.join(',')}`);
  return problems;
}

/** The span without what the semantic processor adds, to compare with what the app sent. */
export function withoutEnrichment(span: Span): Span {
  return {
    ...span,
    attributes: span.attributes.filter((attribute: KeyValue) => !attribute.key.startsWith(`${prefix}.`)),
    events: span.events.filter((event) => event.name !== evaluationEventName),
  };
}

/** `traceId:spanId`, the identity the tests pair sent and received spans by. */
export function spanKey(span: Pick<Span, 'traceId' | 'spanId'>): string {
  return `${span.traceId}:${span.spanId}`;
}

/** Received spans by identity; a key seen twice is a duplicate delivery and fails the test. */
export function indexSpans(received: SpanWithContext[]): Map<string, SpanWithContext> {
  const index = new Map<string, SpanWithContext>();
  for (const entry of received) {
    const key = spanKey(entry.span);
    if (index.has(key)) throw new Error(`span ${key} (${entry.span.name}) was delivered twice`);
    index.set(key, entry);
  }
  return index;
}
