import { readFileSync } from 'node:fs';
import { encodeTraces } from '@semtel/otlp';
import type { Traces } from '@semtel/pdata';

export interface SendResult {
  status: number;
  /** The Retry-After header, when the answer had one. */
  retryAfter: string | undefined;
}

/** Posts one ExportTraceServiceRequest as OTLP/HTTP protobuf; a network error reads as status 0. */
export async function postTraces(httpEndpoint: string, traces: Traces, timeoutMs = 15_000): Promise<SendResult> {
  try {
    const response = await fetch(`${httpEndpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeTraces(traces, 'protobuf'),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return { status: response.status, retryAfter: response.headers.get('retry-after') ?? undefined };
  } catch {
    return { status: 0, retryAfter: undefined };
  }
}

export function spanIdsOf(traces: Traces): string[] {
  return traces.resourceSpans.flatMap((resourceSpans) =>
    resourceSpans.scopeSpans.flatMap((scopeSpans) => scopeSpans.spans.map((span) => span.spanId)),
  );
}

/** Resident set size of a process in MiB (Linux `VmRSS`), or undefined once it is gone. */
export function residentMib(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The sum of a metric's samples whose label text contains every `labels` pair, from `/metrics`. */
export async function metricValue(
  metricsAddress: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) {
      total += Number(match[3]);
    }
  }
  return total;
}
