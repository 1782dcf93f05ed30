import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import type { Logger, Signal } from '@semtel/component';
import { errorMessage, PermanentError, RetryableError } from '@semtel/component';
import type { Encoding, PartialSuccess } from '@semtel/otlp';
import { decodeExportResponse, decodeRpcStatus, encodeLogs, encodeMetrics, encodeTraces } from '@semtel/otlp';
import type { Logs, Metrics, Traces } from '@semtel/pdata';
import type { ExportTransport, SignalData } from './exporter-helper.js';
import { loadTlsFiles } from './load-tls-files.js';
import type { OtlpHttpConfig } from './otlp-http-config.js';
import { parseRetryAfter } from './parse-retry-after.js';

const gzipAsync = promisify(gzip);

/** The collector reads at most this much of an error body. */
const maxErrorBodyBytes = 64 * 1024;
/** The OTLP spec's recommended cap on a response clients parse. */
const maxResponseBodyBytes = 4 * 1024 * 1024;

const signalPaths: Record<Signal, string> = { traces: 'v1/traces', logs: 'v1/logs', metrics: 'v1/metrics' };
const retryableStatuses = new Set([429, 502, 503, 504]);

/** Appends the signal path to the base URL's path, as the collector's `otlp_http` does. */
export function signalUrl(endpoint: string, signal: Signal): URL {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}${signalPaths[signal]}`;
  return url;
}

function contentEncoding(contentType: string | undefined, fallback: Encoding): Encoding {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return 'json';
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  return fallback;
}

/** Reads up to `limit` bytes; `complete` is false when the body was longer (the rest is discarded). */
async function readBody(response: http.IncomingMessage, limit: number): Promise<{ bytes: Buffer; complete: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (length + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - length));
      response.destroy();
      return { bytes: Buffer.concat(chunks), complete: false };
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  return { bytes: Buffer.concat(chunks), complete: true };
}

function decompress(bytes: Buffer, response: http.IncomingMessage, limit: number): Buffer {
  const encoding = String(response.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding !== 'gzip' || bytes.length === 0) return bytes;
  return gunzipSync(bytes, { maxOutputLength: limit });
}

/** The backend's explanation from an error body: a google.rpc.Status, else the text itself. */
function describeErrorBody(bytes: Buffer, encoding: Encoding): string {
  if (bytes.length === 0) return '';
  try {
    const status = decodeRpcStatus(bytes, encoding);
    if (status.message !== '') return status.message;
  } catch {
    // Not a Status: proxies and load balancers answer with their own text or HTML.
  }
  return bytes.toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 512);
}

/** OTLP/HTTP: one POST per attempt over keep-alive agents. */
export class OtlpHttpTransport implements ExportTransport {
  readonly #config: OtlpHttpConfig;
  readonly #encoding: Encoding;
  readonly #urls: Partial<Record<Signal, URL>>;
  readonly #headers: Record<string, string>;
  readonly #httpAgent: http.Agent;
  readonly #logger: Logger;
  #httpsAgent: https.Agent | undefined;

  constructor(config: OtlpHttpConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    this.#encoding = config.encoding === 'json' ? 'json' : 'protobuf';
    const explicit: Record<Signal, string | undefined> = {
      traces: config.traces_endpoint,
      logs: config.logs_endpoint,
      metrics: config.metrics_endpoint,
    };
    this.#urls = {};
    for (const signal of ['traces', 'logs', 'metrics'] as const) {
      const url = explicit[signal];
      if (url !== undefined) this.#urls[signal] = new URL(url);
      else if (config.endpoint !== undefined) this.#urls[signal] = signalUrl(config.endpoint, signal);
    }
    this.#headers = {
      'user-agent': `Semtel OTLP exporter (Node.js ${process.version})`,
      ...Object.fromEntries(Object.entries(config.headers).map(([key, value]) => [key.toLowerCase(), value])),
      'content-type': this.#encoding === 'json' ? 'application/json' : 'application/x-protobuf',
    };
    if (config.compression === 'gzip') this.#headers['content-encoding'] = 'gzip';
    this.#httpAgent = new http.Agent({ keepAlive: true });
  }

  /** The URL each signal is sent to (undefined when none is configured). */
  url(signal: Signal): string | undefined {
    return this.#urls[signal]?.href;
  }

  async start(): Promise<void> {
    const material = await loadTlsFiles(this.#config.tls);
    this.#httpsAgent?.destroy();
    this.#httpsAgent = new https.Agent({
      keepAlive: true,
      ca: material.ca,
      cert: material.cert,
      key: material.key,
      rejectUnauthorized: !this.#config.tls.insecure_skip_verify,
      servername: this.#config.tls.server_name_override,
    });
  }

  async encode(signal: Signal, data: SignalData): Promise<Uint8Array> {
    const body =
      signal === 'traces'
        ? encodeTraces(data as Traces, this.#encoding)
        : signal === 'logs'
          ? encodeLogs(data as Logs, this.#encoding)
          : encodeMetrics(data as Metrics, this.#encoding);
    return this.#config.compression === 'gzip' ? await gzipAsync(body) : body;
  }

  send(signal: Signal, body: Uint8Array, abortSignal: AbortSignal): Promise<PartialSuccess | undefined> {
    const url = this.#urls[signal];
    if (url === undefined) {
      return Promise.reject(
        new PermanentError(`no endpoint configured for ${signal}: set endpoint or ${signal}_endpoint`),
      );
    }
    const secure = url.protocol === 'https:';
    // start() may not have run (a consumer called early): fall back to an agent without extra CAs.
    this.#httpsAgent ??= new https.Agent({
      keepAlive: true,
      rejectUnauthorized: !this.#config.tls.insecure_skip_verify,
    });
    const agent = secure ? this.#httpsAgent : this.#httpAgent;
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent,
          headers: { ...this.#headers, 'content-length': String(body.byteLength) },
          signal: abortSignal,
        },
        (response) => {
          this.#handleResponse(signal, response).then(resolve, (error: unknown) => {
            reject(
              error instanceof PermanentError || error instanceof RetryableError
                ? error
                : this.#transportError(error, url),
            );
          });
        },
      );
      request.on('error', (error) => reject(this.#transportError(error, url)));
      request.end(body);
    });
  }

  async close(): Promise<void> {
    this.#httpAgent.destroy();
    this.#httpsAgent?.destroy();
  }

  /** Connection failures, resets and timeouts may pass with time: always retryable. */
  #transportError(error: unknown, url: URL): RetryableError {
    const code = (error as { code?: unknown }).code;
    const detail = typeof code === 'string' && !errorMessage(error).includes(code) ? ` (${code})` : '';
    return new RetryableError(`failed to send to ${url.href}: ${errorMessage(error)}${detail}`, { cause: error });
  }

  async #handleResponse(signal: Signal, response: http.IncomingMessage): Promise<PartialSuccess | undefined> {
    const status = response.statusCode ?? 0;
    const encoding = contentEncoding(response.headers['content-type'], this.#encoding);
    if (status >= 200 && status < 300) {
      // The status says the backend took the data; a body we cannot read (a proxy's HTML page,
      // an oversized reply) only loses the partial-success detail, so the data counts as sent.
      const { bytes, complete } = await readBody(response, maxResponseBodyBytes);
      let problem: string;
      if (complete) {
        try {
          return decodeExportResponse(signal, decompress(bytes, response, maxResponseBodyBytes), encoding);
        } catch (error) {
          problem = `a body that cannot be parsed as an export response: ${errorMessage(error)}`;
        }
      } else {
        problem = `a body over ${maxResponseBodyBytes} bytes`;
      }
      this.#logger.warn(
        { signal, url: this.#urls[signal]?.href, status, 'content-type': response.headers['content-type'] },
        `HTTP ${status} with ${problem}; the data counts as delivered, but any partial success is unknown`,
      );
      return undefined;
    }
    const { bytes } = await readBody(response, maxErrorBodyBytes);
    let explanation: string;
    try {
      explanation = describeErrorBody(decompress(bytes, response, maxErrorBodyBytes), encoding);
    } catch {
      explanation = '';
    }
    const message =
      `HTTP ${status} ${response.statusMessage ?? ''}`.trim() + (explanation === '' ? '' : `: ${explanation}`);
    if (retryableStatuses.has(status)) {
      const retryAfter = response.headers['retry-after'];
      throw new RetryableError(message, {
        retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
        throttled: status === 429,
      });
    }
    throw new PermanentError(message, { badData: status === 400 });
  }
}
