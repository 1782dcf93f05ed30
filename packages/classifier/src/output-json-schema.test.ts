import { describe, expect, it } from 'vitest';
import { countTokens } from './count-tokens.js';
import { defaultTaxonomy } from './default-taxonomy.js';
import { positionalItemIds } from './item-ids.js';
import { buildOutputJsonSchema, maxItemsForSchema, maxOutputTokensPerItem } from './output-json-schema.js';
import { resolveTaxonomy } from './resolve-taxonomy.js';
import { checkStrictJsonSchema, measureJsonSchema, openAiStructuredOutputLimits } from './strict-json-schema.js';
import { enabledDimensions } from './taxonomy.js';

const taxonomy = defaultTaxonomy();

describe('buildOutputJsonSchema', () => {
  it('has one required property per item id, each with one enum field per enabled dimension', () => {
    const schema = buildOutputJsonSchema(taxonomy, ['i1', 'i2']) as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
      $defs: { item: { properties: Record<string, { enum: string[] }>; required: string[] } };
    };
    expect(schema.required).toEqual(['i1', 'i2']);
    expect(Object.keys(schema.properties)).toEqual(['i1', 'i2']);
    expect(schema.properties.i1).toEqual({ $ref: '#/$defs/item' });
    expect(schema.additionalProperties).toBe(false);
    const names = enabledDimensions(taxonomy).map((dimension) => dimension.name);
    expect(schema.$defs.item.required).toEqual(names);
    expect(schema.$defs.item.properties.satisfaction?.enum).toEqual(['satisfied', 'dissatisfied', 'unknown']);
  });

  it('passes the strict structured-output rules and limits', () => {
    expect(checkStrictJsonSchema(buildOutputJsonSchema(taxonomy, positionalItemIds(20)))).toEqual([]);
    const withReasons = resolveTaxonomy({ enable: ['satisfaction_reasons'] });
    const schema = buildOutputJsonSchema(withReasons, ['i1']) as {
      $defs: { item: { properties: Record<string, unknown> } };
    };
    expect(schema.$defs.item.properties.satisfaction_reasons).toMatchObject({
      type: 'array',
      items: { type: 'string' },
    });
    expect(checkStrictJsonSchema(schema)).toEqual([]);
  });

  it('reports the per-item schema overhead', () => {
    const tokens = (count: number) =>
      countTokens(JSON.stringify(buildOutputJsonSchema(taxonomy, positionalItemIds(count))));
    const perItem = tokens(21) - tokens(20);
    console.log(
      `schema: ${tokens(20)} tokens for 20 items, ${perItem} per extra item; output ≤ ${maxOutputTokensPerItem(taxonomy)} tokens per item`,
    );
    expect(perItem).toBeLessThan(30);
  });
});

describe('checkStrictJsonSchema', () => {
  it('flags the violations OpenAI strict mode rejects', () => {
    const problems = checkStrictJsonSchema({
      type: 'object',
      properties: {
        a: { type: 'string', minLength: 1 },
        b: { type: 'object', properties: { c: { type: 'string' } }, required: [] },
        d: { $ref: '#/$defs/missing' },
        e: { allOf: [] },
      },
      required: ['a', 'x'],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'root: additionalProperties must be false',
        'root: property "b" must be required',
        'root: required "x" is not a property',
        'root.properties.a: unsupported keyword "minLength"',
        'root.properties.b: additionalProperties must be false',
        'root.properties.b: property "c" must be required',
        'root.properties.d: unresolved $ref "#/$defs/missing"',
        'root.properties.e: unsupported keyword "allOf"',
      ]),
    );
    expect(checkStrictJsonSchema({ anyOf: [] })).toContain('root: must be of type "object"');
  });

  it('counts properties, enum values and nesting', () => {
    const schema = buildOutputJsonSchema(taxonomy, ['i1', 'i2', 'i3']);
    expect(measureJsonSchema(schema)).toMatchObject({ properties: 3 + 7, enumValues: 66, nesting: 2 });
    expect(measureJsonSchema(schema, { expandReferences: true })).toMatchObject({
      properties: 3 * 8,
      enumValues: 3 * 66,
    });
  });
});

describe('maxItemsForSchema', () => {
  it('is the largest batch that fits the limits', () => {
    const fits = (count: number, expandReferences: boolean) =>
      checkStrictJsonSchema(buildOutputJsonSchema(taxonomy, positionalItemIds(count)), undefined, { expandReferences })
        .length === 0;
    for (const expandReferences of [false, true]) {
      const max = maxItemsForSchema(taxonomy, { expandReferences });
      expect(fits(max, expandReferences)).toBe(true);
      expect(fits(max + 1, expandReferences)).toBe(false);
    }
    expect(maxItemsForSchema(taxonomy)).toBeGreaterThanOrEqual(20);
    expect(maxItemsForSchema(taxonomy, { limits: openAiStructuredOutputLimits })).toBeGreaterThan(
      maxItemsForSchema(taxonomy),
    );
  });

  it('refuses a taxonomy whose enums cannot fit even one item', () => {
    const labels = Array.from({ length: 501 }, (_, index) => ({ name: `label_${index}`, description: 'A label.' }));
    expect(() =>
      resolveTaxonomy({ base: 'none', dimensions: [{ name: 'huge', description: 'Huge.', labels }] }),
    ).toThrow(/structured-output schema limits/);
  });
});
