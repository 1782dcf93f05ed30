import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { Encoding, RpcStatus } from '@semtel/otlp';
import {
  decodeLogs,
  decodeMetrics,
  decodeTraces,
  encodeExportResponse,
  encodeRpcStatus,
  grpcExportPaths,
  grpcServerWindowOptions,
  widenGrpcServerWindows,
} from '@semtel/otlp';
import type { InstrumentationScope, LogRecord, Logs, Metrics, Resource, Span, Traces } from '@semtel/pdata';
import { countLogRecords, countSpans } from '@semtel/pdata';

const gunzipAsync = promisify(gunzip);

export type SinkSignal = 'traces' | 'logs' | 'metrics';
export type SinkTransport = 'http' | 'grpc';

/**
 * How the sink answers a request instead of accepting it. `unavailable` is HTTP 503 / gRPC
 * UNAVAILABLE, `throttled` HTTP 429 / gRPC RESOURCE_EXHAUSTED (both with Retry-After and
 * RetryInfo when `retryAfterSeconds` is given), `bad-request` HTTP 400 / gRPC INVALID_ARGUMENT,
 * `hang` never answers until the sink is closed or {@link OtlpSink.releaseHungRequests} is called.
 */
export type SinkFault =
  | { kind: 'unavailable'; retryAfterSeconds?: number }
  | { kind: 'throttled'; retryAfterSeconds?: number }
  | { kind: 'bad-request'; message?: string }
  | { kind: 'hang' };

export interface FaultScope {
  /** Applies to the next `count` matching requests. */
  count?: number;
  /** Applies until this many milliseconds from now. Without count or duration: until cleared. */
  durationMs?: number;
  /** Only requests for these signals; default all. */
  signals?: SinkSignal[];
}

export type SinkOutcome = 'accepted' | SinkFault['kind'] | 'invalid';

/** One request as the sink saw it, whatever it answered. */
export interface SinkRequest {
  signal: SinkSignal;
  transport: SinkTransport;
  encoding: Encoding;
  compressed: boolean;
  /** Body size on the wire (after gRPC framing is removed; before gunzip for HTTP). */
  bodyBytes: number;
  /** Spans, log records or data points decoded; 0 when the body was not decoded. */
  itemCount: number;
  outcome: SinkOutcome;
  /** `performance.now()` when the body had been read. */
  receivedAt: number;
}

export interface SpanWithContext {
  span: Span;
  resource: Resource;
  resourceSchemaUrl: string;
  scope: InstrumentationScope;
  scopeSchemaUrl: string;
}

export interface LogRecordWithContext {
  logRecord: LogRecord;
  resource: Resource;
  resourceSchemaUrl: string;
  scope: InstrumentationScope;
  scopeSchemaUrl: string;
}

export interface OtlpSinkOptions {
  /** Largest accepted body, after decompression. Default 64 MiB (the OTLP recommendation). */
  maxBodyBytes?: number;
  /** Keep decoded data (default true). Benchmarks turn it off and count via `onAccepted`. */
  retainData?: boolean;
  /** Called for each accepted request, after it is recorded and before it is answered. */
  onAccepted?: (request: SinkRequest, data: Traces | Logs | Metrics) => void;
}

interface ActiveFault {
  fault: SinkFault;
  remaining: number;
  until: number;
  signals: SinkSignal[] | undefined;
}

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
}

/**
 * The sink stands for a real backend, and the ones semtel exports to (the collector, Jaeger,
 * Tempo: grpc-go servers) grow their HTTP/2 windows with a bandwidth-delay estimate up to
 * 16 MiB. grpc-js servers stay at Node's 64 KiB, which would make every gRPC export to the sink
 * wait a round trip per 64 KiB and measure a limit of grpc-js rather than of semtel.
 */
const backendWindows = { streamBytes: 16 * 1024 * 1024, connectionBytes: 16 * 1024 * 1024 };

const httpPaths: Record<string, SinkSignal> = { '/v1/traces': 'traces', '/v1/logs': 'logs', '/v1/metrics': 'metrics' };

// google.rpc.Code values
const rpcCode = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 } as const;

export function flattenSpans(traces: readonly Traces[]): SpanWithContext[] {
  const result: SpanWithContext[] = [];
  for (const request of traces) {
    for (const resourceSpans of request.resourceSpans) {
      for (const scopeSpans of resourceSpans.scopeSpans) {
        for (const span of scopeSpans.spans) {
          result.push({
            span,
            resource: resourceSpans.resource,
            resourceSchemaUrl: resourceSpans.schemaUrl,
            scope: scopeSpans.scope,
            scopeSchemaUrl: scopeSpans.schemaUrl,
          });
        }
      }
    }
  }
  return result;
}

export function flattenLogRecords(logs: readonly Logs[]): LogRecordWithContext[] {
  const result: LogRecordWithContext[] = [];
  for (const request of logs) {
    for (const resourceLogs of request.resourceLogs) {
      for (const scopeLogs of resourceLogs.scopeLogs) {
        for (const logRecord of scopeLogs.logRecords) {
          result.push({
            logRecord,
            resource: resourceLogs.resource,
            resourceSchemaUrl: resourceLogs.schemaUrl,
            scope: scopeLogs.scope,
            scopeSchemaUrl: scopeLogs.schemaUrl,
          });
        }
      }
    }
  }
  return result;
}

class BodyTooLargeError extends Error {}

/**
 * A real OTLP backend for tests and benchmarks: OTLP/HTTP (protobuf and JSON, gzip) and
 * OTLP/gRPC on 127.0.0.1 ephemeral ports. It decodes with @semtel/otlp, so what it records is
 * exactly what a collector would see, and it can be told to fail the way real backends do.
 */
export class OtlpSink {
  /** Accepted requests only, in arrival order. */
  readonly traces: Traces[] = [];
  readonly logs: Logs[] = [];
  readonly metrics: Metrics[] = [];
  /** Every request, including the ones a fault answered. */
  readonly requests: SinkRequest[] = [];
  /** Items in accepted requests (kept even when data is not retained). */
  spanCount = 0;
  logRecordCount = 0;
  dataPointCount = 0;

  private readonly faults: ActiveFault[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly hungReleases = new Set<() => void>();
  private readonly maxBodyBytes: number;
  private readonly retainData: boolean;
  private readonly onAccepted: OtlpSinkOptions['onAccepted'];
  private httpServer: HttpServer | undefined;
  private grpcServer: grpc.Server | undefined;
  private httpPort = 0;
  private grpcPort = 0;
  private closed = false;

  private constructor(options: OtlpSinkOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
    this.retainData = options.retainData ?? true;
    this.onAccepted = options.onAccepted;
  }

  static async start(options: OtlpSinkOptions = {}): Promise<OtlpSink> {
    const sink = new OtlpSink(options);
    try {
      await sink.listen();
    } catch (error) {
      await sink.close();
      throw error;
    }
    return sink;
  }

  /** Base URL for OTLP/HTTP, e.g. `http://127.0.0.1:40123` (paths `/v1/traces` etc.). */
  get httpEndpoint(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** `127.0.0.1:port` for OTLP/gRPC. */
  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** Answers matching requests with `fault` instead of accepting them; later calls queue behind earlier ones. */
  injectFault(fault: SinkFault, scope: FaultScope = {}): void {
    this.faults.push({
      fault,
      remaining: scope.count ?? Number.POSITIVE_INFINITY,
      until: scope.durationMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + scope.durationMs,
      signals: scope.signals,
    });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Answers every request held by a `hang` fault with 503 / UNAVAILABLE. */
  releaseHungRequests(): void {
    for (const release of [...this.hungReleases]) release();
  }

  get hungRequestCount(): number {
    return this.hungReleases.size;
  }

  spans(): SpanWithContext[] {
    return flattenSpans(this.traces);
  }

  logRecords(): LogRecordWithContext[] {
    return flattenLogRecords(this.logs);
  }

  /** Resolves with all received spans once at least `count` have been accepted; rejects after `timeoutMs`. */
  async waitForSpans(count: number, timeoutMs: number): Promise<SpanWithContext[]> {
    await this.waitUntil(
      () => this.spanCount >= count,
      timeoutMs,
      () => `${count} spans (got ${this.spanCount})`,
    );
    return this.spans();
  }

  async waitForLogRecords(count: number, timeoutMs: number): Promise<LogRecordWithContext[]> {
    await this.waitUntil(
      () => this.logRecordCount >= count,
      timeoutMs,
      () => `${count} log records (got ${this.logRecordCount})`,
    );
    return this.logRecords();
  }

  async waitForDataPoints(count: number, timeoutMs: number): Promise<Metrics[]> {
    await this.waitUntil(
      () => this.dataPointCount >= count,
      timeoutMs,
      () => `${count} metric data points (got ${this.dataPointCount})`,
    );
    return this.metrics;
  }

  /** Resolves once `count` requests matching `filter` have arrived, whatever they were answered. */
  async waitForRequests(
    count: number,
    timeoutMs: number,
    filter: (request: SinkRequest) => boolean = () => true,
  ): Promise<SinkRequest[]> {
    const matching = (): SinkRequest[] => this.requests.filter(filter);
    await this.waitUntil(
      () => matching().length >= count,
      timeoutMs,
      () => `${count} requests (got ${matching().length})`,
    );
    return matching();
  }

  /** Forgets everything received (faults stay). */
  reset(): void {
    this.traces.length = 0;
    this.logs.length = 0;
    this.metrics.length = 0;
    this.requests.length = 0;
    this.spanCount = 0;
    this.logRecordCount = 0;
    this.dataPointCount = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearFaults();
    const httpServer = this.httpServer;
    const grpcServer = this.grpcServer;
    // Hung requests are cut off rather than answered: the sink is going away.
    for (const release of [...this.hungReleases]) release();
    await Promise.all([
      httpServer
        ? new Promise<void>((resolve) => {
            httpServer.close(() => resolve());
            httpServer.closeAllConnections();
          })
        : undefined,
      grpcServer
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              grpcServer.forceShutdown();
              resolve();
            }, 1000);
            grpcServer.tryShutdown(() => {
              clearTimeout(timer);
              resolve();
            });
          })
        : undefined,
    ]);
  }

  private async listen(): Promise<void> {
    const httpServer = createServer((request, response) => {
      this.handleHttp(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.sendText(response, 500, `sink failure: ${String(error)}`);
      });
    });
    this.httpServer = httpServer;
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(0, '127.0.0.1', () => resolve());
    });
    this.httpPort = (httpServer.address() as AddressInfo).port;

    const grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': this.maxBodyBytes,
      ...grpcServerWindowOptions(backendWindows),
    });
    widenGrpcServerWindows(grpcServer, backendWindows);
    this.grpcServer = grpcServer;
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const signal of ['traces', 'logs', 'metrics'] as const) {
      definition[signal] = {
        path: grpcExportPaths[signal],
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: Buffer) => value,
        requestDeserialize: (value: Buffer) => value,
        responseSerialize: (value: Buffer) => value,
        responseDeserialize: (value: Buffer) => value,
      };
      implementation[signal] = (
        call: grpc.ServerUnaryCall<Buffer, Buffer>,
        callback: grpc.sendUnaryData<Buffer>,
      ): void => this.handleGrpc(signal, call, callback);
    }
    grpcServer.addService(definition, implementation);
    this.grpcPort = await new Promise<number>((resolve, reject) => {
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
  }

  private takeFault(signal: SinkSignal): SinkFault | undefined {
    const now = Date.now();
    for (let index = 0; index < this.faults.length;) {
      const active = this.faults[index];
      if (active === undefined) break;
      if (active.remaining <= 0 || active.until <= now) {
        this.faults.splice(index, 1);
        continue;
      }
      if (active.signals === undefined || active.signals.includes(signal)) {
        active.remaining -= 1;
        return active.fault;
      }
      index += 1;
    }
    return undefined;
  }

  private decode(
    signal: SinkSignal,
    body: Uint8Array,
    encoding: Encoding,
  ): { data: Traces | Logs | Metrics; items: number } {
    switch (signal) {
      case 'traces': {
        const data = decodeTraces(body, encoding);
        return { data, items: countSpans(data) };
      }
      case 'logs': {
        const data = decodeLogs(body, encoding);
        return { data, items: countLogRecords(data) };
      }
      case 'metrics': {
        const data = decodeMetrics(body, encoding);
        return { data, items: data.dataPointCount };
      }
    }
  }

  private accept(request: SinkRequest, data: Traces | Logs | Metrics): void {
    switch (request.signal) {
      case 'traces':
        this.spanCount += request.itemCount;
        if (this.retainData) this.traces.push(data as Traces);
        break;
      case 'logs':
        this.logRecordCount += request.itemCount;
        if (this.retainData) this.logs.push(data as Logs);
        break;
      case 'metrics':
        this.dataPointCount += request.itemCount;
        if (this.retainData) this.metrics.push(data as Metrics);
        break;
    }
    this.onAccepted?.(request, data);
  }

  private record(request: SinkRequest): void {
    if (this.retainData) this.requests.push(request);
    this.notify();
  }

  private async handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const signal = httpPaths[path];
    if (signal === undefined) {
      request.resume();
      this.sendText(response, 404, `no OTLP endpoint at ${path}`);
      return;
    }
    if (request.method !== 'POST') {
      request.resume();
      response.setHeader('Allow', 'POST');
      this.sendText(response, 405, `method ${request.method ?? ''} not allowed, use POST`);
      return;
    }
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const encoding: Encoding | undefined =
      mediaType === 'application/x-protobuf' ? 'protobuf' : mediaType === 'application/json' ? 'json' : undefined;
    if (encoding === undefined) {
      request.resume();
      this.sendText(response, 415, `unsupported content type ${mediaType ?? ''}`);
      return;
    }
    const contentEncoding = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (contentEncoding !== '' && contentEncoding !== 'identity' && contentEncoding !== 'gzip') {
      request.resume();
      this.sendStatus(response, encoding, 415, {
        code: rpcCode.INVALID_ARGUMENT,
        message: `unsupported content encoding ${contentEncoding}`,
      });
      return;
    }
    let wireBody: Buffer;
    try {
      wireBody = await this.readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        this.sendStatus(response, encoding, 413, { code: rpcCode.INVALID_ARGUMENT, message: error.message });
        return;
      }
      throw error;
    }
    const seen: SinkRequest = {
      signal,
      transport: 'http',
      encoding,
      compressed: contentEncoding === 'gzip',
      bodyBytes: wireBody.length,
      itemCount: 0,
      outcome: 'accepted',
      receivedAt: performance.now(),
    };

    const fault = this.takeFault(signal);
    if (fault !== undefined) {
      seen.outcome = fault.kind;
      this.record(seen);
      this.answerHttpFault(response, encoding, fault);
      return;
    }

    let body: Uint8Array = wireBody;
    let decoded: { data: Traces | Logs | Metrics; items: number };
    try {
      if (seen.compressed) body = await gunzipAsync(wireBody, { maxOutputLength: this.maxBodyBytes });
      decoded = this.decode(signal, body, encoding);
    } catch (error) {
      const tooLarge = error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      seen.outcome = 'invalid';
      this.record(seen);
      const message = tooLarge ? `body exceeds ${this.maxBodyBytes} bytes after decompression` : String(error);
      this.sendStatus(response, encoding, tooLarge ? 413 : 400, { code: rpcCode.INVALID_ARGUMENT, message });
      return;
    }
    seen.itemCount = decoded.items;
    this.accept(seen, decoded.data);
    this.record(seen);
    response.writeHead(200, { 'Content-Type': mediaType });
    response.end(encodeExportResponse(signal, undefined, encoding));
  }

  private answerHttpFault(response: ServerResponse, encoding: Encoding, fault: SinkFault): void {
    switch (fault.kind) {
      case 'unavailable':
      case 'throttled': {
        if (fault.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(fault.retryAfterSeconds));
        const status: RpcStatus = {
          code: fault.kind === 'unavailable' ? rpcCode.UNAVAILABLE : rpcCode.RESOURCE_EXHAUSTED,
          message: fault.kind === 'unavailable' ? 'sink unavailable (injected)' : 'sink throttled (injected)',
        };
        if (fault.retryAfterSeconds !== undefined) status.retryDelayMs = fault.retryAfterSeconds * 1000;
        this.sendStatus(response, encoding, fault.kind === 'unavailable' ? 503 : 429, status);
        return;
      }
      case 'bad-request':
        this.sendStatus(response, encoding, 400, {
          code: rpcCode.INVALID_ARGUMENT,
          message: fault.message ?? 'bad request (injected)',
        });
        return;
      case 'hang': {
        const release = (): void => {
          this.hungReleases.delete(release);
          if (this.closed) response.socket?.destroy();
          else
            this.sendStatus(response, encoding, 503, { code: rpcCode.UNAVAILABLE, message: 'released hung request' });
        };
        this.hungReleases.add(release);
        response.once('close', () => this.hungReleases.delete(release));
        return;
      }
    }
  }

  private handleGrpc(
    signal: SinkSignal,
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    callback: grpc.sendUnaryData<Buffer>,
  ): void {
    const grpcEncoding = call.metadata.get('grpc-encoding')[0];
    const seen: SinkRequest = {
      signal,
      transport: 'grpc',
      encoding: 'protobuf',
      compressed: grpcEncoding !== undefined && grpcEncoding !== 'identity',
      bodyBytes: call.request.length,
      itemCount: 0,
      outcome: 'accepted',
      receivedAt: performance.now(),
    };
    const fault = this.takeFault(signal);
    if (fault !== undefined) {
      seen.outcome = fault.kind;
      this.record(seen);
      this.answerGrpcFault(call, callback, fault);
      return;
    }
    let decoded: { data: Traces | Logs | Metrics; items: number };
    try {
      decoded = this.decode(signal, call.request, 'protobuf');
    } catch (error) {
      seen.outcome = 'invalid';
      this.record(seen);
      callback({ code: grpc.status.INVALID_ARGUMENT, details: String(error) });
      return;
    }
    seen.itemCount = decoded.items;
    this.accept(seen, decoded.data);
    this.record(seen);
    callback(null, Buffer.from(encodeExportResponse(signal, undefined, 'protobuf')));
  }

  private answerGrpcFault(
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    callback: grpc.sendUnaryData<Buffer>,
    fault: SinkFault,
  ): void {
    const fail = (code: grpc.status, status: RpcStatus): void => {
      const metadata = new grpc.Metadata();
      metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus(status, 'protobuf')));
      callback({ code, details: status.message, metadata });
    };
    switch (fault.kind) {
      case 'unavailable':
      case 'throttled': {
        const status: RpcStatus = {
          code: fault.kind === 'unavailable' ? rpcCode.UNAVAILABLE : rpcCode.RESOURCE_EXHAUSTED,
          message: fault.kind === 'unavailable' ? 'sink unavailable (injected)' : 'sink throttled (injected)',
        };
        if (fault.retryAfterSeconds !== undefined) status.retryDelayMs = fault.retryAfterSeconds * 1000;
        fail(fault.kind === 'unavailable' ? grpc.status.UNAVAILABLE : grpc.status.RESOURCE_EXHAUSTED, status);
        return;
      }
      case 'bad-request':
        fail(grpc.status.INVALID_ARGUMENT, {
          code: rpcCode.INVALID_ARGUMENT,
          message: fault.message ?? 'bad request (injected)',
        });
        return;
      case 'hang': {
        const release = (): void => {
          this.hungReleases.delete(release);
          fail(grpc.status.UNAVAILABLE, { code: rpcCode.UNAVAILABLE, message: 'released hung request' });
        };
        this.hungReleases.add(release);
        call.once('cancelled', () => this.hungReleases.delete(release));
        return;
      }
    }
  }

  private readBody(request: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      request.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          failed = true;
          chunks.length = 0;
          // Keep draining so the 413 can still be written on this connection.
          reject(new BodyTooLargeError(`body exceeds ${this.maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => {
        if (!failed) resolve(Buffer.concat(chunks, size));
      });
      request.on('error', (error) => {
        if (!failed) reject(error);
      });
    });
  }

  private sendStatus(response: ServerResponse, encoding: Encoding, statusCode: number, status: RpcStatus): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(statusCode, {
      'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    });
    response.end(encodeRpcStatus(status, encoding));
  }

  private sendText(response: ServerResponse, statusCode: number, message: string): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(statusCode, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(message);
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.ready()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Resolves once `ready()` holds, checked now and after every request; rejects after
   * `timeoutMs` with `describe()` in the message, so a failing test says what was missing.
   */
  waitUntil(ready: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`OtlpSink: timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}
