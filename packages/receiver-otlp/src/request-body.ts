import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import type { InputType, ZlibOptions } from 'node:zlib';
import type { InFlightReservation } from './in-flight-bytes.js';
import { inFlightLimitMessage } from './in-flight-bytes.js';

/**
 * A request body that cannot be accepted, with the HTTP status that says why. 503 means the
 * receiver holds too many request bytes right now: the sender should retry.
 */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError';

  constructor(
    readonly httpStatus: 400 | 413 | 415 | 503,
    message: string,
  ) {
    super(message);
  }
}

function overloaded(reservation: InFlightReservation | undefined): RequestBodyError {
  return new RequestBodyError(503, inFlightLimitMessage(reservation?.limit ?? 0));
}

export type ContentCoding = 'identity' | 'gzip' | 'deflate';

/** Parses `Content-Encoding`; throws a 415 RequestBodyError for codings this receiver does not decode. */
export function parseContentEncoding(header: string | undefined): ContentCoding {
  const coding = (header ?? '').trim().toLowerCase();
  switch (coding) {
    case '':
    case 'identity':
      return 'identity';
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    // The collector reads both names as a zlib stream.
    case 'deflate':
    case 'zlib':
      return 'deflate';
    default:
      throw new RequestBodyError(
        415,
        `unsupported Content-Encoding "${header ?? ''}"; send gzip, deflate or an uncompressed body`,
      );
  }
}

type Inflate = (input: InputType, options: ZlibOptions) => Promise<Buffer>;
const gunzipAsync: Inflate = promisify(gunzip);
const inflateAsync: Inflate = promisify(inflate);
const inflateRawAsync: Inflate = promisify(inflateRaw);

/**
 * Reads a request body, enforcing `limit` on the bytes received and again on the bytes
 * after decompression. Reading stops as soon as the raw body passes the limit (the caller
 * then closes the connection), and zlib's `maxOutputLength` aborts inflation at the limit,
 * so a compression bomb never grows past `limit` in memory.
 *
 * With a `reservation`, every byte held (received beyond what it already holds, and the
 * decompressed copy) must fit in it first; inflation stops where the reservation's room ends.
 * When they do not fit, reading stops with a 503 RequestBodyError.
 */
export async function readRequestBody(
  request: IncomingMessage,
  coding: ContentCoding,
  limit: number,
  reservation?: InFlightReservation,
): Promise<Buffer> {
  const raw = await readRawBody(request, limit, reservation);
  if (coding === 'identity') return raw;
  const room = reservation?.room() ?? Number.POSITIVE_INFINITY;
  if (room < 1) throw overloaded(reservation);
  const maxOutputLength = Math.min(limit, room);
  let inflated: Buffer;
  try {
    if (coding === 'gzip') inflated = await gunzipAsync(raw, { maxOutputLength });
    else {
      try {
        inflated = await inflateAsync(raw, { maxOutputLength });
      } catch (error) {
        // Some senders write raw deflate (no zlib header) under `Content-Encoding: deflate`.
        if ((error as NodeJS.ErrnoException).code !== 'Z_DATA_ERROR') throw error;
        inflated = await inflateRawAsync(raw, { maxOutputLength });
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      if (maxOutputLength < limit) throw overloaded(reservation);
      throw new RequestBodyError(413, `request body exceeds the limit of ${limit} bytes after decompression`);
    }
    throw new RequestBodyError(400, `request body is not valid ${coding} data: ${(error as Error).message}`);
  }
  if (reservation !== undefined && !reservation.tryGrow(inflated.length)) throw overloaded(reservation);
  return inflated;
}

function readRawBody(request: IncomingMessage, limit: number, reservation?: InFlightReservation): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanUp = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanUp();
        // Stop pulling bytes off the wire; the response closes the connection.
        request.pause();
        reject(new RequestBodyError(413, `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      // A declared Content-Length was reserved up front; a chunked body is reserved as it comes.
      if (reservation !== undefined && size > reservation.held && !reservation.tryGrow(size - reservation.held)) {
        cleanUp();
        request.pause();
        reject(overloaded(reservation));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanUp();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanUp();
      reject(new RequestBodyError(400, `request body could not be read: ${error.message}`));
    };
    const onClose = (): void => {
      cleanUp();
      reject(new RequestBodyError(400, 'the connection closed before the request body was complete'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}
