import type { Signal } from '@semtel/component';
import type { ConfigIssue } from './config-error.js';
import type { Environment } from './parse-config-yaml.js';

const protocols = ['grpc', 'http/protobuf', 'http/json'] as const;
type Protocol = (typeof protocols)[number];
const signals: readonly Signal[] = ['traces', 'logs', 'metrics'];
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0', '[::]']);

/**
 * Applies the standard OTLP exporter variables to the default configuration: every signal that
 * has an endpoint (`OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`)
 * exports there with `otlp_grpc/<signal>` or `otlp_http/<signal>` instead of debug and file.
 * Other signals keep the defaults. `tree` is the parsed default config and is not modified.
 *
 * An endpoint that is semtel's own receiver keeps the defaults too, with a warning: the shell
 * that runs semtel often exports that variable for its apps, as the README tells it to.
 */
export function applyOtlpExporterEnvironment(
  tree: Record<string, unknown>,
  environment: Environment,
): { tree: Record<string, unknown>; issues: ConfigIssue[]; warnings: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const read = (signal: Signal, suffix: string): { name: string; value: string } | undefined => {
    for (const name of [`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
      const value = environment[name]?.trim();
      if (value !== undefined && value !== '') return { name, value };
    }
    return undefined;
  };
  const result = structuredClone(tree) as {
    exporters?: Record<string, unknown>;
    service?: { pipelines?: Record<string, { exporters?: string[] }> };
    receivers?: unknown;
  };
  const exporters: Record<string, unknown> = { ...(result.exporters ?? {}) };
  const pipelines = result.service?.pipelines ?? {};
  const ownPorts = receiverPorts(result.receivers);

  for (const signal of signals) {
    const endpoint = read(signal, 'ENDPOINT');
    if (endpoint === undefined) continue;
    const signalSpecific = endpoint.name !== 'OTEL_EXPORTER_OTLP_ENDPOINT';
    const protocolSetting = read(signal, 'PROTOCOL');
    const protocol = (protocolSetting?.value ?? 'http/protobuf') as Protocol;
    if (!protocols.includes(protocol)) {
      issues.push({
        path: protocolSetting?.name ?? '',
        message: `"${protocol}" is not a protocol; use grpc, http/protobuf or http/json`,
      });
      continue;
    }
    let url: URL;
    try {
      url = new URL(endpoint.value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      issues.push({ path: endpoint.name, message: `"${endpoint.value}" must be an http:// or https:// URL` });
      continue;
    }
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (loopbackHosts.has(url.hostname) && ownPorts.has(port)) {
      // Exporting there would send every batch back in forever; refusing to start would punish
      // a shell set up for its apps. Keep the defaults and say why.
      warnings.push({
        path: endpoint.name,
        message: `"${endpoint.value}" is semtel's own receiver (set for your apps, probably), so semtel does not export there, which would loop; the signals it names keep the default debug and file exporters. To export to a backend, set ${signalSpecific ? endpoint.name : `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`} to it for semtel, or start semtel with --config`,
      });
      continue;
    }

    const config: Record<string, unknown> = {};
    const headers = parseHeaders(environment, signal, issues);
    if (Object.keys(headers).length > 0) config.headers = headers;
    const timeout = read(signal, 'TIMEOUT');
    if (timeout !== undefined) {
      if (/^\d+$/.test(timeout.value)) config.timeout = Number(timeout.value);
      else issues.push({ path: timeout.name, message: `"${timeout.value}" must be a whole number of milliseconds` });
    }
    const compression = read(signal, 'COMPRESSION');
    if (compression !== undefined) {
      if (compression.value === 'gzip' || compression.value === 'none') config.compression = compression.value;
      else issues.push({ path: compression.name, message: `"${compression.value}" must be gzip or none` });
    }
    const tls: Record<string, unknown> = {};
    const certificate = read(signal, 'CERTIFICATE');
    const clientCertificate = read(signal, 'CLIENT_CERTIFICATE');
    const clientKey = read(signal, 'CLIENT_KEY');
    if (certificate !== undefined) tls.ca_file = certificate.value;
    if (clientCertificate !== undefined) tls.cert_file = clientCertificate.value;
    if (clientKey !== undefined) tls.key_file = clientKey.value;

    let id: string;
    if (protocol === 'grpc') {
      id = `otlp_grpc/${signal}`;
      // gRPC has no URL path; the scheme says whether TLS is used (http:// is plaintext).
      config.endpoint = `${url.protocol}//${url.host}`;
      const insecure = read(signal, 'INSECURE');
      if (insecure !== undefined) tls.insecure = insecure.value.toLowerCase() === 'true';
    } else {
      id = `otlp_http/${signal}`;
      config.encoding = protocol === 'http/json' ? 'json' : 'proto';
      // The general endpoint gets /v1/<signal> appended; a signal's own endpoint is used as is.
      if (signalSpecific) config[`${signal}_endpoint`] = endpoint.value;
      else config.endpoint = endpoint.value;
    }
    if (Object.keys(tls).length > 0) config.tls = tls;
    exporters[id] = config;
    const pipeline = pipelines[signal];
    if (pipeline !== undefined) pipeline.exporters = [id];
  }

  // Drop exporters no pipeline uses any more, so the default run does not warn about them.
  const used = new Set(Object.values(pipelines).flatMap((pipeline) => pipeline.exporters ?? []));
  for (const id of Object.keys(exporters)) if (!used.has(id)) delete exporters[id];
  result.exporters = exporters;
  return { tree: result as Record<string, unknown>, issues: unique(issues), warnings: unique(warnings) };
}

/** Shared variables are read once per signal; report each problem once. */
function unique(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...new Map(issues.map((issue) => [`${issue.path}\u0000${issue.message}`, issue])).values()];
}

/** `OTEL_EXPORTER_OTLP_HEADERS` then the signal's own, key by key: `k=v,k2=v2`, URL-decoded. */
function parseHeaders(environment: Environment, signal: Signal, issues: ConfigIssue[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`]) {
    const text = environment[name];
    if (text === undefined) continue;
    for (const pair of text.split(',')) {
      if (pair.trim() === '') continue;
      const equals = pair.indexOf('=');
      try {
        if (equals <= 0) throw new Error('expected key=value');
        const key = decodeURIComponent(pair.slice(0, equals).trim());
        if (key === '') throw new Error('expected key=value');
        headers[key] = decodeURIComponent(pair.slice(equals + 1).trim());
      } catch (error) {
        // Never echo the pair: header values are usually credentials.
        const reason = error instanceof URIError ? 'invalid %-encoding' : (error as Error).message;
        issues.push({ path: name, message: `entry ${text.split(',').indexOf(pair) + 1} is invalid (${reason})` });
      }
    }
  }
  return headers;
}

function receiverPorts(receivers: unknown): Set<number> {
  const ports = new Set<number>();
  const visit = (node: unknown, key: string): void => {
    if (key === 'endpoint' && typeof node === 'string') {
      const port = Number(/:(\d+)$/.exec(node)?.[1]);
      if (Number.isInteger(port)) ports.add(port);
    } else if (node !== null && typeof node === 'object') {
      for (const [childKey, child] of Object.entries(node)) visit(child, childKey);
    }
  };
  visit(receivers, '');
  return ports;
}
