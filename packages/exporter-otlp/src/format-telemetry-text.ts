import type { AnyValue, KeyValue, Logs, Traces } from '@semtel/pdata';
import { isKeyValueList, toPlain } from '@semtel/pdata';

const spanKinds = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const statusCodes = ['Unset', 'Ok', 'Error'];

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** An AnyValue the way the collector's debug exporter prints it: `Str(x)`, `Int(3)`, `Map({...})`. */
export function formatAnyValue(value: AnyValue): string {
  if (value === undefined) return 'Empty()';
  if (typeof value === 'string') return `Str(${value})`;
  if (typeof value === 'boolean') return `Bool(${value})`;
  if (typeof value === 'bigint') return `Int(${value})`;
  if (typeof value === 'number') return `Double(${value})`;
  if (value instanceof Uint8Array) return `Bytes(${Buffer.from(value).toString('base64')})`;
  if (Array.isArray(value)) return `Slice(${JSON.stringify(toPlain(value), jsonReplacer)})`;
  if (isKeyValueList(value)) return `Map(${JSON.stringify(toPlain(value), jsonReplacer)})`;
  return String(value);
}

/** Nanoseconds since the epoch as an ISO-8601 UTC time with nanosecond precision. */
export function formatTimestamp(unixNano: bigint): string {
  if (unixNano === 0n) return '0';
  const seconds = unixNano / 1_000_000_000n;
  const fraction = (unixNano % 1_000_000_000n).toString().padStart(9, '0');
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return `${unixNano}ns`;
  return `${date.toISOString().slice(0, 19)}.${fraction}Z`;
}

function attributeLines(attributes: readonly KeyValue[], indent: string): string[] {
  return attributes.map((attribute) => `${indent}-> ${attribute.key}: ${formatAnyValue(attribute.value)}`);
}

function inlineAttributes(attributes: readonly KeyValue[]): string {
  return attributes.map((attribute) => `${attribute.key}=${formatAnyValue(attribute.value)}`).join(' ');
}

/** One line per span: name, trace id, span id and attributes (the collector's `normal`). */
export function formatTracesLines(traces: Traces): string {
  const lines: string[] = [];
  for (const resourceSpans of traces.resourceSpans) {
    lines.push(`ResourceSpans ${inlineAttributes(resourceSpans.resource.attributes)}`.trimEnd());
    for (const scopeSpans of resourceSpans.scopeSpans) {
      lines.push(`ScopeSpans ${scopeSpans.scope.name} ${scopeSpans.scope.version}`.trimEnd());
      for (const span of scopeSpans.spans) {
        lines.push(`${span.name} ${span.traceId} ${span.spanId} ${inlineAttributes(span.attributes)}`.trimEnd());
      }
    }
  }
  return lines.join('\n');
}

/** Every span with all of its fields, in the collector's `detailed` layout. */
export function formatTracesDetailed(traces: Traces): string {
  const lines: string[] = [];
  traces.resourceSpans.forEach((resourceSpans, resourceIndex) => {
    lines.push(`ResourceSpans #${resourceIndex}`, `Resource SchemaURL: ${resourceSpans.schemaUrl}`);
    lines.push('Resource attributes:', ...attributeLines(resourceSpans.resource.attributes, '     '));
    resourceSpans.scopeSpans.forEach((scopeSpans, scopeIndex) => {
      lines.push(`ScopeSpans #${scopeIndex}`, `ScopeSpans SchemaURL: ${scopeSpans.schemaUrl}`);
      lines.push(`InstrumentationScope ${scopeSpans.scope.name} ${scopeSpans.scope.version}`.trimEnd());
      if (scopeSpans.scope.attributes.length > 0) {
        lines.push('InstrumentationScope attributes:', ...attributeLines(scopeSpans.scope.attributes, '     '));
      }
      scopeSpans.spans.forEach((span, spanIndex) => {
        lines.push(
          `Span #${spanIndex}`,
          `    Trace ID       : ${span.traceId}`,
          `    Parent ID      : ${span.parentSpanId}`,
          `    ID             : ${span.spanId}`,
          `    Name           : ${span.name}`,
          `    Kind           : ${spanKinds[span.kind] ?? span.kind}`,
          `    Start time     : ${formatTimestamp(span.startTimeUnixNano)}`,
          `    End time       : ${formatTimestamp(span.endTimeUnixNano)}`,
          `    Status code    : ${statusCodes[span.status.code] ?? span.status.code}`,
          `    Status message : ${span.status.message}`,
        );
        if (span.traceState !== '') lines.push(`    TraceState     : ${span.traceState}`);
        if (span.flags !== 0) lines.push(`    Flags          : ${span.flags}`);
        if (span.attributes.length > 0) lines.push('Attributes:', ...attributeLines(span.attributes, '     '));
        if (span.events.length > 0) lines.push('Events:');
        span.events.forEach((event, eventIndex) => {
          lines.push(
            `SpanEvent #${eventIndex}`,
            `     -> Name: ${event.name}`,
            `     -> Timestamp: ${formatTimestamp(event.timeUnixNano)}`,
            `     -> DroppedAttributesCount: ${event.droppedAttributesCount}`,
          );
          if (event.attributes.length > 0)
            lines.push('     -> Attributes::', ...attributeLines(event.attributes, '          '));
        });
        if (span.links.length > 0) lines.push('Links:');
        span.links.forEach((link, linkIndex) => {
          lines.push(
            `SpanLink #${linkIndex}`,
            `     -> Trace ID: ${link.traceId}`,
            `     -> ID: ${link.spanId}`,
            `     -> TraceState: ${link.traceState}`,
            `     -> DroppedAttributesCount: ${link.droppedAttributesCount}`,
          );
          if (link.attributes.length > 0)
            lines.push('     -> Attributes::', ...attributeLines(link.attributes, '          '));
        });
      });
    });
  });
  return lines.join('\n');
}

/** One line per log record: body and attributes (the collector's `normal`). */
export function formatLogsLines(logs: Logs): string {
  const lines: string[] = [];
  for (const resourceLogs of logs.resourceLogs) {
    lines.push(`ResourceLog ${inlineAttributes(resourceLogs.resource.attributes)}`.trimEnd());
    for (const scopeLogs of resourceLogs.scopeLogs) {
      lines.push(`ScopeLog ${scopeLogs.scope.name} ${scopeLogs.scope.version}`.trimEnd());
      for (const record of scopeLogs.logRecords) {
        const body = record.body === undefined ? '' : formatAnyValue(record.body);
        lines.push(`${record.eventName} ${body} ${inlineAttributes(record.attributes)}`.trim());
      }
    }
  }
  return lines.join('\n');
}

/** Every log record with all of its fields, in the collector's `detailed` layout. */
export function formatLogsDetailed(logs: Logs): string {
  const lines: string[] = [];
  logs.resourceLogs.forEach((resourceLogs, resourceIndex) => {
    lines.push(`ResourceLog #${resourceIndex}`, `Resource SchemaURL: ${resourceLogs.schemaUrl}`);
    lines.push('Resource attributes:', ...attributeLines(resourceLogs.resource.attributes, '     '));
    resourceLogs.scopeLogs.forEach((scopeLogs, scopeIndex) => {
      lines.push(`ScopeLogs #${scopeIndex}`, `ScopeLogs SchemaURL: ${scopeLogs.schemaUrl}`);
      lines.push(`InstrumentationScope ${scopeLogs.scope.name} ${scopeLogs.scope.version}`.trimEnd());
      scopeLogs.logRecords.forEach((record, recordIndex) => {
        lines.push(
          `LogRecord #${recordIndex}`,
          `ObservedTimestamp: ${formatTimestamp(record.observedTimeUnixNano)}`,
          `Timestamp: ${formatTimestamp(record.timeUnixNano)}`,
          `SeverityText: ${record.severityText}`,
          `SeverityNumber: ${record.severityNumber}`,
          `Body: ${formatAnyValue(record.body)}`,
        );
        if (record.eventName !== '') lines.push(`EventName: ${record.eventName}`);
        if (record.attributes.length > 0) lines.push('Attributes:', ...attributeLines(record.attributes, '     '));
        lines.push(`Trace ID: ${record.traceId}`, `Span ID: ${record.spanId}`, `Flags: ${record.flags}`);
      });
    });
  });
  return lines.join('\n');
}
