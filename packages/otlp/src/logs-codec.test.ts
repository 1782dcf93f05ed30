import type { LogRecord, Logs } from '@semtel/pdata';
import { createLogRecord, createScope, getAttribute, kvlist } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { readFixture } from './fixtures.test-support.js';
import { decodeLogs, encodeLogs } from './logs-codec.js';

function allRecords(logs: Logs): LogRecord[] {
  return logs.resourceLogs.flatMap((resourceLogs) => resourceLogs.scopeLogs.flatMap((scope) => scope.logRecords));
}

function richLogs(): Logs {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: 'svc' }], droppedAttributesCount: 1, entityRefs: [] },
        scopeLogs: [
          {
            scope: { name: 'logger', version: '2', attributes: [{ key: 'a', value: 1.25 }], droppedAttributesCount: 2 },
            logRecords: [
              createLogRecord({
                timeUnixNano: 1700000000987654321n,
                observedTimeUnixNano: 18446744073709551615n,
                severityNumber: 14,
                severityText: 'WARN2',
                body: kvlist([
                  { key: 'message', value: kvlist([{ key: 'role', value: 'assistant' }]) },
                  { key: 'list', value: ['x', 1n, false, kvlist([{ key: 'k', value: 'v' }])] },
                  { key: 'bytes', value: new Uint8Array([0, 255]) },
                  { key: 'nothing', value: undefined },
                ]),
                attributes: [{ key: 'gen_ai.provider.name', value: 'openai' }],
                droppedAttributesCount: 3,
                flags: 0xffffff01,
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b173',
                eventName: 'gen_ai.client.inference.operation.details',
              }),
              createLogRecord({ body: 'plain', severityNumber: 99 }),
              createLogRecord({ body: -9223372036854775808n, traceId: 'ab', spanId: 'cd' }),
              createLogRecord(),
            ],
            schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
          },
          { scope: createScope(), logRecords: [], schemaUrl: '' },
        ],
        schemaUrl: 'https://resource',
      },
    ],
  };
}

describe('logs codec', () => {
  for (const encoding of ['protobuf', 'json'] as const) {
    it(`round-trips every log record field through ${encoding}`, () => {
      const logs = richLogs();
      expect(decodeLogs(encodeLogs(logs, encoding), encoding)).toEqual(logs);
    });
  }

  it('decodes the SDK protobuf and JSON fixtures to the same records', () => {
    const fromProtobuf = decodeLogs(readFixture('logs.pb'), 'protobuf');
    expect(decodeLogs(readFixture('logs.json'), 'json')).toEqual(fromProtobuf);
    const records = allRecords(fromProtobuf);
    expect(records).toHaveLength(3);
    const event = records.find((record) => record.eventName === 'gen_ai.client.inference.operation.details');
    expect(event?.timeUnixNano).toBe(1700000000987654321n);
    expect(event?.observedTimeUnixNano).toBe(1700000001000000001n);
    expect(event?.severityNumber).toBe(14);
    expect(event?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(event?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(event?.flags).toBe(1);
    expect(getAttribute(event?.attributes ?? [], 'attribute.bytes')).toEqual(new Uint8Array([9, 8, 7]));
    const body = event?.body as { kvlist: { key: string; value: unknown }[] };
    expect(body.kvlist.find((entry) => entry.key === 'bytes')?.value).toEqual(new Uint8Array([0, 1, 2, 253, 254, 255]));
    expect(body.kvlist.find((entry) => entry.key === 'index')?.value).toBe(0n);
    expect(records.find((record) => Array.isArray(record.body))?.body).toEqual(['array', 'body', 3n]);
  });

  for (const fixture of ['logs.pb', 'logs.json']) {
    it(`re-encodes ${fixture} without loss in both encodings`, () => {
      const logs = decodeLogs(readFixture(fixture), fixture.endsWith('.pb') ? 'protobuf' : 'json');
      const viaProtobuf = decodeLogs(encodeLogs(logs, 'protobuf'), 'protobuf');
      expect(viaProtobuf).toEqual(logs);
      expect(decodeLogs(encodeLogs(viaProtobuf, 'json'), 'json')).toEqual(logs);
    });
  }

  it('writes event_name, hex ids and decimal-string times in OTLP/JSON', () => {
    const json = JSON.parse(Buffer.from(encodeLogs(richLogs(), 'json')).toString('utf8'));
    const record = json.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(record.eventName).toBe('gen_ai.client.inference.operation.details');
    expect(record.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(record.observedTimeUnixNano).toBe('18446744073709551615');
    expect(record.flags).toBe(0xffffff01);
    expect(json.resourceLogs[0].scopeLogs[0].logRecords[3]).toEqual({});
  });

  it('decodes severity names and snake_case keys leniently', () => {
    const body = JSON.stringify({
      resourceLogs: [
        {
          scope_logs: [
            {
              log_records: [
                {
                  severity_number: 'SEVERITY_NUMBER_ERROR',
                  event_name: 'e',
                  body: { string_value: 's' },
                  trace_id: 'AB',
                  span_id: 'CD',
                },
              ],
            },
          ],
        },
      ],
    });
    const record = allRecords(decodeLogs(Buffer.from(body), 'json'))[0];
    expect(record).toEqual(
      createLogRecord({ severityNumber: 17, eventName: 'e', body: 's', traceId: 'ab', spanId: 'cd' }),
    );
  });

  it('reports the path of a bad log record field', () => {
    const body = JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            { logRecords: [{}, { body: { kvlistValue: { values: [{ key: 'k', value: { boolValue: 3 } }] } } }] },
          ],
        },
      ],
    });
    expect(() => decodeLogs(Buffer.from(body), 'json')).toThrow(
      'resourceLogs[0].scopeLogs[0].logRecords[1].body.kvlistValue.values[0].value.boolValue: expected a boolean, got number 3',
    );
    expect(() => decodeLogs(Uint8Array.from([0x0a, 0x02, 0x12, 0x09]), 'protobuf')).toThrow(
      /^invalid protobuf ExportLogsServiceRequest/,
    );
  });
});
