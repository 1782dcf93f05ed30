import { isIP } from 'node:net';
import { z } from 'zod';

/** A listen address split into the parts `net.Server.listen` and grpc-js need. */
export interface Endpoint {
  /** Host name or IP address, without the brackets an IPv6 address carries in `host:port`. */
  host: string;
  /** 0 asks the operating system for a free port. */
  port: number;
}

const hostNamePattern =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses `host:port` as the collector writes endpoints (`127.0.0.1:4318`, `localhost:4317`,
 * `[::1]:4318`). Throws an Error whose message says exactly what is wrong, so config
 * validation can report it against the field's path.
 */
export function parseEndpoint(text: string): Endpoint {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('endpoint is empty; expected host:port, e.g. 127.0.0.1:4318');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new Error(`endpoint "${text}" must be host:port without a scheme, e.g. 127.0.0.1:4318`);
  }
  let host: string;
  let portText: string;
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    if (close < 0) throw new Error(`endpoint "${text}" has an IPv6 address without a closing "]"`);
    host = trimmed.slice(1, close);
    const rest = trimmed.slice(close + 1);
    if (!rest.startsWith(':'))
      throw new Error(`endpoint "${text}" has no port; expected [address]:port, e.g. [::1]:4318`);
    portText = rest.slice(1);
    if (isIP(host) !== 6) throw new Error(`endpoint "${text}" has an invalid IPv6 address "${host}"`);
  } else {
    const colon = trimmed.lastIndexOf(':');
    if (colon < 0) throw new Error(`endpoint "${text}" has no port; expected host:port, e.g. 127.0.0.1:4318`);
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
    if (host.includes(':')) {
      throw new Error(`endpoint "${text}" looks like an IPv6 address; write it in brackets, e.g. [::1]:4318`);
    }
    if (host === '') {
      throw new Error(`endpoint "${text}" has no host; use 127.0.0.1 for local traffic or 0.0.0.0 for all interfaces`);
    }
    if (isIP(host) === 0 && !hostNamePattern.test(host)) {
      throw new Error(`endpoint "${text}" has an invalid host "${host}"`);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) {
    throw new Error(`endpoint "${text}" has an invalid port "${portText}"; expected an integer from 0 to 65535`);
  }
  return { host, port: Number(portText) };
}

/** The inverse of {@link parseEndpoint}; brackets IPv6 addresses. */
export function formatEndpoint(endpoint: Endpoint): string {
  return isIP(endpoint.host) === 6 ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** A config field holding a `host:port` listen address; keeps the text, reports parse errors precisely. */
export const endpointSchema = z.string().check((context) => {
  try {
    parseEndpoint(context.value);
  } catch (error) {
    context.issues.push({ code: 'custom', input: context.value, message: (error as Error).message });
  }
});
