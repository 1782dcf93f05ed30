import { z } from 'zod';

export interface ListenAddress {
  /** Without the brackets of an IPv6 address. */
  host: string;
  /** 0 asks the operating system for a free port. */
  port: number;
}

/** Parses `host:port` (`127.0.0.1:8888`, `[::1]:13133`); the error message says what is wrong. */
export function parseListenAddress(text: string): ListenAddress {
  const trimmed = text.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new Error(`"${text}" must be host:port without a scheme, e.g. 127.0.0.1:8888`);
  }
  let url: URL;
  try {
    // A scheme without a default port, so ":80" is kept rather than elided.
    url = new URL(`semtel://${trimmed}`);
  } catch {
    throw new Error(`"${text}" is not a valid host:port address, e.g. 127.0.0.1:8888`);
  }
  if (url.port === '' || url.hostname === '' || url.pathname !== '' || url.username !== '' || url.search !== '') {
    throw new Error(`"${text}" is not a valid host:port address, e.g. 127.0.0.1:8888`);
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}

export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** A config field holding a listen address; keeps the text and reports what is wrong with it. */
export const listenAddressSchema = z.string().check((context) => {
  try {
    parseListenAddress(context.value);
  } catch (error) {
    context.issues.push({ code: 'custom', input: context.value, message: (error as Error).message });
  }
});
