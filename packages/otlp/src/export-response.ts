import type protobuf from 'protobufjs';
import { CodecError } from './codec-error.js';
import type { Encoding, Signal } from './encoding.js';
import { bigintToBits, bitsToNumber } from './long-bits.js';
import { protoTypes } from './proto-types.js';
import { decodeMessage, encodeMessage } from './request-body.js';

export interface PartialSuccess {
  /** `rejected_spans`, `rejected_log_records` or `rejected_data_points`. */
  rejected: number;
  errorMessage: string;
}

const responses: Readonly<Record<Signal, { type: protobuf.Type; rejectedField: string }>> = {
  traces: { type: protoTypes.exportTraceServiceResponse, rejectedField: 'rejectedSpans' },
  logs: { type: protoTypes.exportLogsServiceResponse, rejectedField: 'rejectedLogRecords' },
  metrics: { type: protoTypes.exportMetricsServiceResponse, rejectedField: 'rejectedDataPoints' },
};

const emptyBody = new Uint8Array(0);
const emptyJsonBody = Buffer.from('{}', 'utf8');

function responseFor(signal: Signal): { type: protobuf.Type; rejectedField: string } {
  const response = responses[signal];
  if (!response) throw new CodecError(`unknown signal ${JSON.stringify(signal)}`);
  return response;
}

/**
 * Full success is `partial_success` unset: zero bytes in protobuf, `{}` in JSON.
 * A partial success with `rejected: 0` and a message is a warning, as the spec allows.
 */
export function encodeExportResponse(
  signal: Signal,
  partialSuccess: PartialSuccess | undefined,
  encoding: Encoding,
): Uint8Array {
  const { type, rejectedField } = responseFor(signal);
  if (!partialSuccess) return encoding === 'json' ? Uint8Array.from(emptyJsonBody) : emptyBody.slice();
  if (!Number.isSafeInteger(partialSuccess.rejected) || partialSuccess.rejected < 0) {
    throw new CodecError(
      `partialSuccess.${rejectedField}: expected a non-negative integer, got ${partialSuccess.rejected}`,
    );
  }
  const partial: Record<string, unknown> = {};
  if (partialSuccess.rejected) partial[rejectedField] = bigintToBits(BigInt(partialSuccess.rejected), false);
  if (partialSuccess.errorMessage) partial.errorMessage = partialSuccess.errorMessage;
  return encodeMessage(type, { partialSuccess: partial }, encoding);
}

/** Undefined means full success (including an all-default `partial_success`, which the spec treats the same). */
export function decodeExportResponse(signal: Signal, body: Uint8Array, encoding: Encoding): PartialSuccess | undefined {
  const { type, rejectedField } = responseFor(signal);
  if (body.length === 0) return undefined;
  if (
    encoding === 'json' &&
    Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8').trim() === ''
  ) {
    return undefined;
  }
  const response = decodeMessage(type, body, encoding);
  const partial = response.partialSuccess as Record<string, unknown> | null | undefined;
  if (!partial) return undefined;
  const rejected = bitsToNumber(partial[rejectedField], false);
  const errorMessage = (partial.errorMessage as string | undefined) ?? '';
  if (rejected === 0 && errorMessage === '') return undefined;
  return { rejected, errorMessage };
}
