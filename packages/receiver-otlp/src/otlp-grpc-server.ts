import { Metadata, Server, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServiceDefinition } from '@grpc/grpc-js';
import type { Logger, Signal } from '@semtel/component';
import { errorMessage } from '@semtel/component';
import { encodeExportResponse, encodeRpcStatus, grpcExportPaths } from '@semtel/otlp';
import { formatEndpoint, parseEndpoint } from './endpoint.js';
import type { GrpcProtocolConfig } from './otlp-receiver-config.js';
import type { DecodedRequest, SignalReceiver } from './signal-receiver.js';

const mebibyte = 1024 * 1024;

/**
 * What the deserializer hands the handler. grpc-js answers a throwing deserializer with
 * INTERNAL and hides the message, so decoding errors travel as values and the handler
 * answers INVALID_ARGUMENT with the codec's message.
 */
type DecodeAttempt = { request: DecodedRequest } | { error: string };

/**
 * The OTLP/gRPC server: the unary `Export` method of TraceService, LogsService and
 * MetricsService, with messages (de)serialized by the otlp codec. grpc-js accepts gzip and
 * deflate requests and enforces the receive limit after decompression.
 */
export class OtlpGrpcServer {
  private readonly server: Server;
  private boundAddress: string | undefined;

  constructor(
    private readonly config: GrpcProtocolConfig,
    receivers: ReadonlyMap<Signal, SignalReceiver>,
    private readonly logger: Logger,
  ) {
    this.server = new Server({ 'grpc.max_receive_message_length': config.max_recv_msg_size_mib * mebibyte });
    for (const receiver of receivers.values()) this.addExportService(receiver);
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
        requestDeserialize: (bytes: Buffer): DecodeAttempt => {
          try {
            return { request: receiver.decode(bytes, 'protobuf') };
          } catch (error) {
            return { error: `cannot decode the ${receiver.signal} request: ${errorMessage(error)}` };
          }
        },
        responseSerialize: (response: Uint8Array) =>
          Buffer.from(response.buffer, response.byteOffset, response.byteLength),
        responseDeserialize: (bytes: Buffer) => bytes,
      },
    };
    const handler = (call: ServerUnaryCall<DecodeAttempt, Uint8Array>, callback: sendUnaryData<Uint8Array>): void => {
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
    attempt: DecodeAttempt,
  ): Promise<{ error: { code: GrpcStatus; details: string; metadata?: Metadata } | null; response?: Uint8Array }> {
    if ('error' in attempt) {
      this.logger.debug(
        { transport: 'grpc', signal: receiver.signal, error: attempt.error },
        'rejected an OTLP/gRPC request',
      );
      return { error: { code: GrpcStatus.INVALID_ARGUMENT, details: attempt.error } };
    }
    const failure = await receiver.deliver(attempt.request, 'grpc');
    if (failure === undefined)
      return { error: null, response: encodeExportResponse(receiver.signal, undefined, 'protobuf') };
    const metadata = new Metadata();
    const details = encodeRpcStatus(
      { code: failure.grpcCode, message: failure.message, retryDelayMs: failure.retryAfterMs },
      'protobuf',
    );
    // Senders read RetryInfo from here; grpc-js does not build this trailer on its own.
    metadata.set('grpc-status-details-bin', Buffer.from(details));
    return { error: { code: failure.grpcCode, details: failure.message, metadata } };
  }
}
