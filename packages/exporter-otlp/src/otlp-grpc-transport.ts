import type { ChannelCredentials, ChannelOptions, ServiceError } from '@grpc/grpc-js';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import type { Logger, Signal } from '@semtel/component';
import { errorMessage, PermanentError, RetryableError } from '@semtel/component';
import type { PartialSuccess } from '@semtel/otlp';
import {
  decodeExportResponse,
  decodeRpcStatus,
  encodeLogs,
  encodeMetrics,
  encodeTraces,
  grpcExportPaths,
} from '@semtel/otlp';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import type { ExportTransport, SignalData } from './exporter-helper.js';
import { loadTlsFiles } from './load-tls-files.js';
import type { OtlpGrpcConfig } from './otlp-grpc-config.js';

/** Codes the OTLP spec lists as retryable; RESOURCE_EXHAUSTED only when the server sent RetryInfo. */
const retryableCodes = new Set<number>([
  status.CANCELLED,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.OUT_OF_RANGE,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

const statusNames = new Map<number, string>(
  Object.entries(status)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, code]) => [code, name]),
);

/** How to dial `endpoint`: a grpc-js target and whether to use TLS. */
export function resolveGrpcTarget(
  endpoint: string,
  insecure: boolean | undefined,
): { target: string; secure: boolean } {
  const scheme = /^(https?):\/\//i.exec(endpoint)?.[1]?.toLowerCase();
  if (scheme === undefined) return { target: endpoint, secure: insecure !== true };
  const url = new URL(endpoint);
  const port = url.port === '' ? (scheme === 'https' ? '443' : '80') : url.port;
  return { target: `${url.hostname}:${port}`, secure: scheme === 'https' && insecure !== true };
}

/** The RetryInfo delay from the `grpc-status-details-bin` trailer, if the server sent one. */
function retryDelayOf(error: ServiceError): number | undefined {
  const details = error.metadata?.get('grpc-status-details-bin') ?? [];
  for (const detail of details) {
    if (typeof detail === 'string') continue;
    try {
      const delay = decodeRpcStatus(detail, 'protobuf').retryDelayMs;
      if (delay !== undefined) return delay;
    } catch {
      // A malformed detail only loses the hint; the code still decides.
    }
  }
  return undefined;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** OTLP/gRPC: one unary Export call per attempt on a shared grpc-js channel. */
export class OtlpGrpcTransport implements ExportTransport {
  readonly #config: OtlpGrpcConfig;
  readonly #target: string;
  readonly #secure: boolean;
  readonly #metadata: Metadata;
  readonly #logger: Logger;
  #client: Client | undefined;

  constructor(config: OtlpGrpcConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    const { target, secure } = resolveGrpcTarget(config.endpoint, config.tls.insecure);
    this.#target = target;
    this.#secure = secure;
    this.#metadata = new Metadata();
    for (const [key, value] of Object.entries(config.headers)) this.#metadata.set(key.toLowerCase(), value);
  }

  get target(): string {
    return this.#target;
  }

  get secure(): boolean {
    return this.#secure;
  }

  async start(): Promise<void> {
    this.#client ??= await this.#createClient();
  }

  encode(signal: Signal, data: SignalData): Uint8Array {
    if (signal === 'traces') return encodeTraces(data as Traces, 'protobuf');
    if (signal === 'logs') return encodeLogs(data as Logs, 'protobuf');
    return encodeMetrics(data as Metrics, 'protobuf');
  }

  async send(signal: Signal, body: Uint8Array, abortSignal: AbortSignal): Promise<PartialSuccess | undefined> {
    this.#client ??= await this.#createClient();
    const client = this.#client;
    const timeout = this.#config.timeout;
    const response = await new Promise<Buffer>((resolve, reject) => {
      const call = client.makeUnaryRequest<Uint8Array, Buffer>(
        grpcExportPaths[signal],
        toBuffer,
        // Decoded below, so an unreadable response is a permanent error of ours, not INTERNAL.
        (bytes) => bytes,
        body,
        this.#metadata.clone(),
        timeout > 0 ? { deadline: new Date(Date.now() + timeout) } : {},
        (error, value) => {
          abortSignal.removeEventListener('abort', cancel);
          if (error !== null) reject(this.#classify(error));
          else resolve(value ?? Buffer.alloc(0));
        },
      );
      const cancel = (): void => call.cancel();
      if (abortSignal.aborted) call.cancel();
      else abortSignal.addEventListener('abort', cancel, { once: true });
    });
    try {
      return decodeExportResponse(signal, response, 'protobuf');
    } catch (error) {
      // Status OK means the backend took the data; only the partial-success detail is lost.
      this.#logger.warn(
        { signal, target: this.#target, error: errorMessage(error) },
        'gRPC OK with a response that cannot be parsed; the data counts as delivered, but any partial success is unknown',
      );
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.#client?.close();
  }

  async #createClient(): Promise<Client> {
    let channelCredentials: ChannelCredentials;
    if (this.#secure) {
      const material = await loadTlsFiles(this.#config.tls);
      channelCredentials = credentials.createSsl(
        material.ca ?? null,
        material.key ?? null,
        material.cert ?? null,
        this.#config.tls.insecure_skip_verify
          ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
          : {},
      );
    } else {
      channelCredentials = credentials.createInsecure();
    }
    const options: ChannelOptions = {
      'grpc.primary_user_agent': 'semtel-otlp-exporter',
      // grpc-js CompressionAlgorithms: 0 identity, 2 gzip.
      'grpc.default_compression_algorithm': this.#config.compression === 'gzip' ? 2 : 0,
      // OTLP recommends accepting 64 MiB; grpc-js would refuse to send more than its default.
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    };
    if (this.#config.tls.server_name_override !== undefined) {
      options['grpc.ssl_target_name_override'] = this.#config.tls.server_name_override;
      options['grpc.default_authority'] = this.#config.tls.server_name_override;
    }
    return new Client(this.#target, channelCredentials, options);
  }

  #classify(error: ServiceError): RetryableError | PermanentError {
    const name = statusNames.get(error.code) ?? String(error.code);
    const message = `gRPC ${name} from ${this.#target}: ${error.details || error.message}`;
    const retryDelayMs = retryDelayOf(error);
    if (retryableCodes.has(error.code)) {
      return new RetryableError(message, { retryAfterMs: retryDelayMs, cause: error });
    }
    if (error.code === status.RESOURCE_EXHAUSTED && retryDelayMs !== undefined) {
      return new RetryableError(message, { retryAfterMs: retryDelayMs, throttled: true, cause: error });
    }
    return new PermanentError(message, { badData: error.code === status.INVALID_ARGUMENT, cause: error });
  }
}
