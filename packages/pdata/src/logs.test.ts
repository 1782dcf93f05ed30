import { describe, expect, it } from 'vitest';
import type { Logs } from './logs.js';
import { countLogRecords, createLogRecord } from './logs.js';
import { createResource, createScope } from './resource.js';

describe('logs', () => {
  it('count log records across every resource and scope', () => {
    const logs: Logs = {
      resourceLogs: [
        {
          resource: createResource(),
          schemaUrl: '',
          scopeLogs: [
            { scope: createScope(), schemaUrl: '', logRecords: [createLogRecord(), createLogRecord()] },
            { scope: createScope(), schemaUrl: '', logRecords: [] },
          ],
        },
        { resource: createResource(), schemaUrl: '', scopeLogs: [] },
      ],
    };
    expect(countLogRecords(logs)).toBe(2);
    expect(countLogRecords({ resourceLogs: [] })).toBe(0);
  });

  it('create a record with every field, letting given fields win, with lists of its own', () => {
    const record = createLogRecord({ body: 'hello', severityNumber: 9 });
    expect(record).toEqual({
      timeUnixNano: 0n,
      observedTimeUnixNano: 0n,
      severityNumber: 9,
      severityText: '',
      body: 'hello',
      attributes: [],
      droppedAttributesCount: 0,
      flags: 0,
      traceId: '',
      spanId: '',
      eventName: '',
    });
    createLogRecord().attributes.push({ key: 'k', value: 1n });
    expect(createLogRecord().attributes).toEqual([]);
  });
});
