import { buildClassificationPrompt, classificationSchemaName, defaultTaxonomy } from '@semtel/classifier';
import type { Interaction } from '@semtel/genai';
import type { KeyValue } from '@semtel/pdata';
import { createLogRecord, createSpan } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { isOwnClassificationRequest, mentionsOwnClassification } from './own-classification-request.js';

const prompt = buildClassificationPrompt(defaultTaxonomy(), [{ id: 'i1', transcript: 'user: hello' }]);

function span(attributes: KeyValue[] = []) {
  return createSpan({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'chat',
    attributes,
  });
}

function interaction(systemInstructions: string[]): Interaction {
  return { convention: 'otel_latest', systemInstructions, messages: [{ role: 'user', text: 'hi' }], output: [] };
}

describe('isOwnClassificationRequest', () => {
  it("recognises the classification prompt's instructions", () => {
    expect(isOwnClassificationRequest(span(), interaction([prompt.instructions]))).toBe(true);
    expect(isOwnClassificationRequest(span(), interaction([`  ${prompt.instructions}`]))).toBe(true);
  });

  it('recognises a request for the classification output schema', () => {
    const parameters = JSON.stringify({
      response_format: { type: 'json_schema', json_schema: { name: classificationSchemaName } },
    });
    expect(isOwnClassificationRequest(span([{ key: 'llm.invocation_parameters', value: parameters }]), undefined)).toBe(
      true,
    );
  });

  it('leaves an app whose prompt merely quotes semtel alone', () => {
    const quoting = interaction([`You are a helpful assistant. A user may paste this: ${prompt.instructions}`]);
    expect(isOwnClassificationRequest(span(), quoting)).toBe(false);
    expect(isOwnClassificationRequest(span(), interaction(['You are a travel assistant.']))).toBe(false);
  });
});

describe('mentionsOwnClassification', () => {
  it('finds the marker in attributes, nested values, span events and joined records', () => {
    expect(
      mentionsOwnClassification(span([{ key: 'gen_ai.input.messages', value: prompt.instructions }]), undefined),
    ).toBe(true);
    expect(
      mentionsOwnClassification(
        span([
          { key: 'gen_ai.system_instructions', value: [{ kvlist: [{ key: 'content', value: prompt.instructions }] }] },
        ]),
        undefined,
      ),
    ).toBe(true);
    const record = createLogRecord({
      eventName: 'gen_ai.system.message',
      body: { kvlist: [{ key: 'content', value: prompt.instructions }] },
    });
    expect(mentionsOwnClassification(span(), [record])).toBe(true);
    const withEvent = span();
    withEvent.events.push({
      timeUnixNano: 1n,
      name: 'gen_ai.system.message',
      attributes: [{ key: 'content', value: prompt.instructions }],
      droppedAttributesCount: 0,
    });
    expect(mentionsOwnClassification(withEvent, undefined)).toBe(true);
    expect(mentionsOwnClassification(span([{ key: 'gen_ai.input.messages', value: 'hello' }]), [])).toBe(false);
  });
});
