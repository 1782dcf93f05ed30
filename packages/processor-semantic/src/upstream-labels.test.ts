import type { ItemLabels } from '@semtel/classifier';
import { defaultTaxonomy, resolveTaxonomy } from '@semtel/classifier';
import type { Span } from '@semtel/pdata';
import { createSpan, getAttribute, setAttribute } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { enrichSpan } from './span-enrichment.js';
import { acceptsUpstreamLabels, hasUpstreamLabels, removeUpstreamLabels } from './upstream-labels.js';

const taxonomy = defaultTaxonomy();
const labels: ItemLabels = {
  intent: 'asking',
  task_type: 'cooking_and_recipes',
  domain: 'home_food_and_lifestyle',
  task_complexity: 'apply',
  user_expertise: 'beginner',
  satisfaction: 'unknown',
  collaboration_mode: 'learning',
};

function labelled(options: { taxonomyToUse?: typeof taxonomy; itemLabels?: ItemLabels; events?: boolean } = {}): Span {
  const span = createSpan({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'chat',
    attributes: [{ key: 'gen_ai.operation.name', value: 'chat' }],
  });
  enrichSpan(
    span,
    { labels: options.itemLabels ?? labels, model: 'gpt-4o-mini' },
    'classified',
    options.taxonomyToUse ?? taxonomy,
    { prefix: 'semtel', evaluationEvents: options.events ?? true },
    1n,
  );
  return span;
}

describe('acceptsUpstreamLabels', () => {
  it('accepts what semtel itself wrote, with or without evaluation events', () => {
    expect(acceptsUpstreamLabels(labelled(), taxonomy, 'semtel')).toBe(true);
    expect(acceptsUpstreamLabels(labelled({ events: false }), taxonomy, 'semtel')).toBe(true);
    const cached = labelled();
    setAttribute(cached.attributes, 'semtel.status', 'cached');
    expect(acceptsUpstreamLabels(cached, taxonomy, 'semtel')).toBe(true);
  });

  it('accepts multi-label dimensions whose labels are all allowed', () => {
    const withReasons = resolveTaxonomy({ enable: ['satisfaction_reasons'] });
    const itemLabels = { ...labels, satisfaction_reasons: ['gratitude_or_praise', 'confirms_success'] };
    const span = labelled({ taxonomyToUse: withReasons, itemLabels });
    expect(acceptsUpstreamLabels(span, withReasons, 'semtel')).toBe(true);
    setAttribute(span.attributes, 'semtel.satisfaction_reasons', ['gratitude_or_praise', 'hacked']);
    expect(acceptsUpstreamLabels(span, withReasons, 'semtel')).toBe(false);
  });

  it('refuses other statuses, another taxonomy version, labels outside the taxonomy and missing labels', () => {
    const refused = (change: (span: Span) => void): boolean => {
      const span = labelled();
      change(span);
      return acceptsUpstreamLabels(span, taxonomy, 'semtel');
    };
    expect(refused((span) => setAttribute(span.attributes, 'semtel.status', 'timeout'))).toBe(false);
    expect(refused((span) => setAttribute(span.attributes, 'semtel.taxonomy.version', 'abcdefabcdef'))).toBe(false);
    expect(refused((span) => setAttribute(span.attributes, 'semtel.domain', 'pwned_domain'))).toBe(false);
    expect(refused((span) => setAttribute(span.attributes, 'semtel.domain', ['gaming']))).toBe(false);
    expect(refused((span) => (span.attributes = span.attributes.filter((a) => a.key !== 'semtel.intent')))).toBe(false);
    expect(refused((span) => setAttribute(span.attributes, 'semtel.classifier.model', 3))).toBe(false);
  });

  it('refuses roll-ups that do not follow from the labels, a status reason, and disabled dimensions', () => {
    const refused = (key: string, value: string): boolean => {
      const span = labelled();
      setAttribute(span.attributes, key, value);
      return acceptsUpstreamLabels(span, taxonomy, 'semtel');
    };
    expect(refused('semtel.task_group', 'technical_help')).toBe(false);
    expect(refused('semtel.status_reason', 'because')).toBe(false);
    expect(refused('semtel.work_related', 'work')).toBe(false);
    const withoutRollup = labelled();
    withoutRollup.attributes = withoutRollup.attributes.filter((a) => a.key !== 'semtel.task_group');
    expect(acceptsUpstreamLabels(withoutRollup, taxonomy, 'semtel')).toBe(false);
  });

  it('ignores keys under the prefix that semtel never writes: they are the app’s own', () => {
    const span = labelled();
    setAttribute(span.attributes, 'semtel.experiment', 'b');
    setAttribute(span.attributes, 'semtel.constructor', 'x');
    expect(acceptsUpstreamLabels(span, taxonomy, 'semtel')).toBe(true);
  });

  it('refuses evaluation events that disagree with the labels', () => {
    const span = labelled();
    const event = span.events.find((candidate) =>
      candidate.attributes.some((attribute) => attribute.value === 'domain'),
    );
    setAttribute(event?.attributes ?? [], 'gen_ai.evaluation.score.label', 'pwned_domain');
    expect(acceptsUpstreamLabels(span, taxonomy, 'semtel')).toBe(false);
  });

  it('reads the configured prefix only', () => {
    expect(acceptsUpstreamLabels(labelled(), taxonomy, 'acme')).toBe(false);
    expect(hasUpstreamLabels(labelled({ events: false }), taxonomy, 'acme')).toBe(false);
  });
});

describe('removeUpstreamLabels', () => {
  it('removes the attributes semtel writes and our evaluation events, nothing else', () => {
    const span = labelled();
    span.attributes.push({ key: 'semtelx.keep', value: 'yes' }, { key: 'semtel.experiment', value: 'b' });
    setAttribute(span.attributes, 'semtel.status_reason', 'forged');
    span.events.push(
      { timeUnixNano: 2n, name: 'app.checkpoint', attributes: [], droppedAttributesCount: 0 },
      {
        timeUnixNano: 3n,
        name: 'gen_ai.evaluation.result',
        attributes: [
          { key: 'gen_ai.evaluation.name', value: 'relevance' },
          { key: 'gen_ai.evaluation.score.value', value: 0.9 },
        ],
        droppedAttributesCount: 0,
      },
    );
    expect(hasUpstreamLabels(span, taxonomy, 'semtel')).toBe(true);
    removeUpstreamLabels(span, taxonomy, 'semtel');
    expect(span.attributes.map((attribute) => attribute.key)).toEqual([
      'gen_ai.operation.name',
      'semtelx.keep',
      'semtel.experiment',
    ]);
    expect(span.events.map((event) => event.name)).toEqual(['app.checkpoint', 'gen_ai.evaluation.result']);
    expect(getAttribute(span.events[1]?.attributes ?? [], 'gen_ai.evaluation.name')).toBe('relevance');
    expect(hasUpstreamLabels(span, taxonomy, 'semtel')).toBe(false);
  });
});
