import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger, Signal } from '@semtel/component';
import { errorMessage, RetryableError } from '@semtel/component';
import type { Encoding } from '@semtel/otlp';
import { encodeExportResponse, encodeRpcStatus } from '@semtel/otlp';
import { formatEndpoint, parseEndpoint } from './endpoint.js';
import { exportFailureFromError, retryAfterSeconds } from './export-failure.js';
import type { InFlightBytes, InFlightReservation } from './in-flight-bytes.js';
import { inFlightLimitMessage } from './in-flight-bytes.js';
import type { HttpProtocolConfig } from './otlp-receiver-config.js';
import { parseContentEncoding, readRequestBody, RequestBodyError } from './request-body.js';
import type { SignalReceiver } from './signal-receiver.js';

const contentTypes: Record<Encoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** Media type without parameters (`application/json; charset=utf-8` → json), or undefined. */
export function encodingFromContentType(header: string | undefined): Encoding | undefined {
  const mediaType = (header ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

interface ErrorReply {
  httpStatus: number;
  grpcCode: GrpcStatus;
  message: string;
  retryAfterMs?: number;
  /** Collector behaviour: 405 and 415 answer in text/plain, since the body format is unknown or moot. */
  plainText?: boolean;
}

/**
 * The OTLP/HTTP server: POST to one path per signal, protobuf or JSON, optionally gzip or
 * deflate, with the body limit enforced before and after decompression.
 */
export class OtlpHttpServer {
  private readonly server: Server;
  private readonly signalsByPath = new Map<string, Signal>();
  private boundAddress: string | undefined;
  private closing = false;

  constructor(
    private readonly config: HttpProtocolConfig,
    private readonly receivers: ReadonlyMap<Signal, SignalReceiver>,
    private readonly logger: Logger,
    private readonly inFlight: InFlightBytes,
  ) {
    this.signalsByPath.set(config.traces_url_path, 'traces');
    this.signalsByPath.set(config.logs_url_path, 'logs');
    this.signalsByPath.set(config.metrics_url_path, 'metrics');
    this.server = createServer();
    const serve = (request: IncomingMessage, response: ServerResponse): void => {
      this.handle(request, response).catch((error: unknown) => this.replyToUnexpectedError(response, error));
    };
    this.server.on('request', serve);
    // Answering `Expect: 100-continue` ourselves lets an oversized or misdirected request fail before its body is sent.
    this.server.on('checkContinue', serve);
    this.server.on('error', (error) => this.logger.error({ error: error.message }, 'OTLP/HTTP server error'));
  }

  /** Listens on the configured endpoint; rejects with a clear message when it cannot. */
  async start(): Promise<string> {
    const endpoint = parseEndpoint(this.config.endpoint);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const reason = error.code === 'EADDRINUSE' ? 'the address is already in use' : error.message;
        reject(new Error(`cannot listen for OTLP/HTTP on ${this.config.endpoint}: ${reason}`, { cause: error }));
      };
      this.server.once('error', onError);
      this.server.listen(endpoint.port, endpoint.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.boundAddress = formatEndpoint({ host: address.address, port: address.port });
    return this.boundAddress;
  }

  address(): string | undefined {
    return this.boundAddress;
  }

  /**
   * Stops accepting connections and lets in-flight requests finish; when `deadline` aborts,
   * closes every connection still open.
   */
  async shutdown(deadline?: AbortSignal): Promise<void> {
    if (!this.server.listening) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const forceClose = (): void => this.server.closeAllConnections();
    if (deadline?.aborted) forceClose();
    deadline?.addEventListener('abort', forceClose, { once: true });
    try {
      await closed;
    } finally {
      deadline?.removeEventListener('abort', forceClose);
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const contentType = request.headers['content-type'];
    const encoding = encodingFromContentType(contentType);
    const signal = this.signalsByPath.get(path);
    const receiver = signal === undefined ? undefined : this.receivers.get(signal);
    if (receiver === undefined) {
      const served = [...this.signalsByPath].filter(([, name]) => this.receivers.has(name)).map(([route]) => route);
      const message =
        signal === undefined
          ? `no OTLP endpoint at ${path}; POST to ${served.join(', ')}`
          : `this receiver is not part of any ${signal} pipeline, so ${path} is not served`;
      return this.replyError(request, response, encoding, { httpStatus: 404, grpcCode: GrpcStatus.NOT_FOUND, message });
    }
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return this.replyError(request, response, encoding, {
        httpStatus: 405,
        grpcCode: GrpcStatus.UNIMPLEMENTED,
        message: `method ${request.method ?? ''} is not allowed on ${path}; OTLP/HTTP accepts POST only`,
        plainText: true,
      });
    }
    if (encoding === undefined) {
      return this.replyError(request, response, encoding, {
        httpStatus: 415,
        grpcCode: GrpcStatus.INVALID_ARGUMENT,
        message: `unsupported Content-Type "${contentType ?? ''}"; send application/x-protobuf or application/json`,
        plainText: true,
      });
    }
    // Held until the request is answered, so the body and the data decoded from it count.
    const reservation = this.inFlight.open();
    try {
      await this.receive(request, response, receiver, encoding, reservation);
    } finally {
      reservation.release();
    }
  }

  private async receive(
    request: IncomingMessage,
    response: ServerResponse,
    receiver: SignalReceiver,
    encoding: Encoding,
    reservation: InFlightReservation,
  ): Promise<void> {
    const limit = this.config.max_request_body_size;
    let body: Buffer;
    try {
      const coding = parseContentEncoding(request.headers['content-encoding']);
      const declaredLength = Number(request.headers['content-length'] ?? 0);
      if (declaredLength > limit) {
        throw new RequestBodyError(413, `request body of ${declaredLength} bytes exceeds the limit of ${limit} bytes`);
      }
      // Refused before any of the body is read (before 100-continue, too).
      const unknownLength = declaredLength === 0 && hasBody(request);
      if (!reservation.tryGrow(declaredLength) || (unknownLength && this.inFlight.full)) {
        throw new RequestBodyError(503, inFlightLimitMessage(this.inFlight.limit));
      }
      if (request.headers.expect?.toLowerCase() === '100-continue') response.writeContinue();
      body = await readRequestBody(request, coding, limit, reservation);
    } catch (error) {
      if (!(error instanceof RequestBodyError)) throw error;
      if (error.httpStatus === 503) {
        // The same answer as a pipeline that is full: 503 + Retry-After and a RetryInfo.
        return this.replyError(request, response, encoding, exportFailureFromError(new RetryableError(error.message)));
      }
      return this.replyError(request, response, encoding, {
        httpStatus: error.httpStatus,
        grpcCode: error.httpStatus === 413 ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INVALID_ARGUMENT,
        message: error.message,
        plainText: error.httpStatus === 415,
      });
    }
    let decoded;
    try {
      decoded = receiver.decode(body, encoding);
    } catch (error) {
      // Any decoder failure is caused by the body, whatever the error's class.
      return this.replyError(request, response, encoding, {
        httpStatus: 400,
        grpcCode: GrpcStatus.INVALID_ARGUMENT,
        message: `cannot decode the ${receiver.signal} request as ${contentTypes[encoding]}: ${errorMessage(error)}`,
      });
    }
    const failure = await receiver.deliver(decoded, 'http');
    if (failure !== undefined) return this.replyError(request, response, encoding, failure);
    this.reply(
      request,
      response,
      200,
      contentTypes[encoding],
      encodeExportResponse(receiver.signal, undefined, encoding),
    );
  }

  private replyError(
    request: IncomingMessage,
    response: ServerResponse,
    encoding: Encoding | undefined,
    reply: ErrorReply,
  ): void {
    this.logger.debug(
      { transport: 'http', path: request.url, status: reply.httpStatus, error: reply.message },
      'rejected an OTLP/HTTP request',
    );
    const headers: OutgoingHttpHeaders = {};
    if (reply.retryAfterMs !== undefined) headers['Retry-After'] = String(retryAfterSeconds(reply.retryAfterMs));
    if (encoding === undefined || reply.plainText === true) {
      this.reply(request, response, reply.httpStatus, 'text/plain; charset=utf-8', Buffer.from(reply.message), headers);
      return;
    }
    const status = { code: reply.grpcCode, message: reply.message, retryDelayMs: reply.retryAfterMs };
    this.reply(request, response, reply.httpStatus, contentTypes[encoding], encodeRpcStatus(status, encoding), headers);
  }

  private reply(
    request: IncomingMessage,
    response: ServerResponse,
    httpStatus: number,
    contentType: string,
    body: Uint8Array,
    headers: OutgoingHttpHeaders = {},
  ): void {
    if (response.headersSent || response.destroyed) return;
    // An unread body would otherwise be drained off the wire, however large; closing is cheaper and bounded.
    if (this.closing || (!request.complete && hasBody(request))) headers['Connection'] = 'close';
    response.writeHead(httpStatus, { ...headers, 'Content-Type': contentType, 'Content-Length': body.byteLength });
    response.end(body);
  }

  private replyToUnexpectedError(response: ServerResponse, error: unknown): void {
    this.logger.error({ transport: 'http', error: errorMessage(error) }, 'unexpected error while serving OTLP/HTTP');
    if (response.headersSent || response.destroyed) {
      response.destroy();
      return;
    }
    const message = 'internal error in the OTLP receiver';
    response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    response.end(message);
  }
}
