import { Metadata, Server, ServerCredentials, ServerInterceptingCall, status as GrpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerInterceptor, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger, Signal } from '@semtel/component';
import { errorMessage, RetryableError } from '@semtel/component';
import type { GrpcServerWindows, GrpcServerWindowsHook } from '@semtel/otlp';
import {
  defaultHttp2WindowBytes,
  encodeExportResponse,
  encodeRpcStatus,
  grpcExportPaths,
  grpcServerWindowOptions,
  widenGrpcServerWindows,
} from '@semtel/otlp';
import { formatEndpoint, parseEndpoint } from './endpoint.js';
import type { ExportFailure } from './export-failure.js';
import { exportFailureFromError } from './export-failure.js';
import type { InFlightBytes } from './in-flight-bytes.js';
import { inFlightLimitMessage } from './in-flight-bytes.js';
import type { GrpcProtocolConfig } from './otlp-receiver-config.js';
import type { SignalReceiver } from './signal-receiver.js';

const mebibyte = 1024 * 1024;

interface GrpcError {
  code: GrpcStatus;
  details: string;
  metadata?: Metadata;
}

/**
 * The configured windows, with the connection's never above the in-flight bound: what a client
 * can push before semtel reads it then stays within what admission would let it hold.
 */
function receiveWindowsOf(config: GrpcProtocolConfig, inFlightLimitBytes: number): GrpcServerWindows {
  const connectionBytes = Math.floor(
    Math.max(defaultHttp2WindowBytes, Math.min(config.connection_window_mib * mebibyte, inFlightLimitBytes)),
  );
  const streamBytes = Math.floor(Math.min(config.stream_window_mib * mebibyte, connectionBytes));
  return { streamBytes, connectionBytes };
}

/** A refused export as gRPC status, with the google.rpc.Status (and RetryInfo) senders read. */
function grpcErrorOf(failure: ExportFailure): GrpcError {
  const metadata = new Metadata();
  const details = encodeRpcStatus(
    { code: failure.grpcCode, message: failure.message, retryDelayMs: failure.retryAfterMs },
    'protobuf',
  );
  // Senders read RetryInfo from here; grpc-js does not build this trailer on its own.
  metadata.set('grpc-status-details-bin', Buffer.from(details));
  return { code: failure.grpcCode, details: failure.message, metadata };
}

/**
 * The OTLP/gRPC server: the unary `Export` method of TraceService, LogsService and
 * MetricsService, with messages decoded by the otlp codec. grpc-js accepts gzip and deflate
 * requests and enforces the receive limit after decompression.
 *
 * Decoding happens in the handler, not in grpc-js's deserializer: grpc-js answers a throwing
 * deserializer with INTERNAL and hides the message, and the handler can hold the request's
 * in-flight bytes from before decoding until the answer, in one place.
 *
 * Its HTTP/2 receive windows are `stream_window_mib` and `connection_window_mib` rather than
 * Node's 64 KiB, so a large export is not paced by one round trip per 64 KiB.
 */
export class OtlpGrpcServer {
  private readonly server: Server;
  private readonly windowsHook: GrpcServerWindowsHook;
  private boundAddress: string | undefined;

  constructor(
    private readonly config: GrpcProtocolConfig,
    receivers: ReadonlyMap<Signal, SignalReceiver>,
    private readonly logger: Logger,
    private readonly inFlight: InFlightBytes,
  ) {
    const windows = receiveWindowsOf(config, inFlight.limit);
    this.server = new Server({
      'grpc.max_receive_message_length': config.max_recv_msg_size_mib * mebibyte,
      ...grpcServerWindowOptions(windows),
      interceptors: [this.refuseWhenFull],
    });
    this.windowsHook = widenGrpcServerWindows(this.server, windows);
    for (const receiver of receivers.values()) this.addExportService(receiver);
  }

  /** While the in-flight bytes are at their limit, a call is refused on its headers, before its message is read. */
  private readonly refuseWhenFull: ServerInterceptor = (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (!this.inFlight.full) {
              nextMetadata(metadata);
              return;
            }
            const error = grpcErrorOf(this.overloaded());
            this.logger.debug({ transport: 'grpc', error: error.details }, 'rejected an OTLP/gRPC request');
            call.sendStatus({ code: error.code, details: error.details, metadata: error.metadata ?? null });
          },
        }),
    });

  private overloaded(): ExportFailure {
    return exportFailureFromError(new RetryableError(inFlightLimitMessage(this.inFlight.limit)));
  }

  async start(): Promise<string> {
    const endpoint = parseEndpoint(this.config.endpoint);
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(formatEndpoint(endpoint), ServerCredentials.createInsecure(), (error, boundPort) => {
        if (error === null) resolve(boundPort);
        else {
          const reason = /EADDRINUSE/.test(error.message) ? 'the address is already in use' : error.message;
          reject(new Error(`cannot listen for OTLP/gRPC on ${this.config.endpoint}: ${reason}`, { cause: error }));
        }
      });
    });
    this.boundAddress = formatEndpoint({ host: endpoint.host, port });
    const problem = this.windowsHook.problem;
    if (problem !== undefined) {
      // Still correct, only slower for large exports; said once at start so an operator who
      // upgraded grpc-js knows why gRPC ingest got slower.
      this.logger.warn(
        { transport: 'grpc', reason: problem },
        "OTLP/gRPC receiver keeps HTTP/2's default 64 KiB windows: grpc-js internals differ from 1.14",
      );
    }
    return this.boundAddress;
  }

  address(): string | undefined {
    return this.boundAddress;
  }

  /** Stops accepting calls and waits for in-flight ones; when `deadline` aborts, cancels what is left. */
  async shutdown(deadline?: AbortSignal): Promise<void> {
    const forceClose = (): void => this.server.forceShutdown();
    if (deadline?.aborted) forceClose();
    deadline?.addEventListener('abort', forceClose, { once: true });
    try {
      await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    } finally {
      deadline?.removeEventListener('abort', forceClose);
    }
  }

  private addExportService(receiver: SignalReceiver): void {
    const service: ServiceDefinition = {
      Export: {
        path: grpcExportPaths[receiver.signal],
        requestStream: false,
        responseStream: false,
        // Only clients serialize requests and deserialize responses; a server never calls these two.
        requestSerialize: () => {
          throw new Error('the OTLP receiver does not send export requests');
        },
        requestDeserialize: (bytes: Buffer): Buffer => bytes,
        responseSerialize: (response: Uint8Array) =>
          Buffer.from(response.buffer, response.byteOffset, response.byteLength),
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    };
    const handler = (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>): void => {
      this.export(receiver, call.request).then(
        (result) => callback(result.error, result.response),
        (error: unknown) => {
          this.logger.error(
            { transport: 'grpc', error: errorMessage(error) },
            'unexpected error while serving OTLP/gRPC',
          );
          callback({ code: GrpcStatus.INTERNAL, details: 'internal error in the OTLP receiver' });
        },
      );
    };
    this.server.addService(service, { Export: handler });
  }

  private async export(
    receiver: SignalReceiver,
    body: Buffer,
  ): Promise<{ error: GrpcError | null; response?: Uint8Array }> {
    const reservation = this.inFlight.open();
    try {
      if (!reservation.tryGrow(body.length)) return { error: grpcErrorOf(this.overloaded()) };
      let request;
      try {
        request = receiver.decode(body, 'protobuf');
      } catch (error) {
        const details = `cannot decode the ${receiver.signal} request: ${errorMessage(error)}`;
        this.logger.debug(
          { transport: 'grpc', signal: receiver.signal, error: details },
          'rejected an OTLP/gRPC request',
        );
        return { error: { code: GrpcStatus.INVALID_ARGUMENT, details } };
      }
      const failure = await receiver.deliver(request, 'grpc');
      if (failure === undefined) {
        return { error: null, response: encodeExportResponse(receiver.signal, undefined, 'protobuf') };
      }
      return { error: grpcErrorOf(failure) };
    } finally {
      reservation.release();
    }
  }
}
