import { readFile } from 'node:fs/promises';
import type { TlsClientConfig } from './exporter-helper-config.js';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

async function readPem(path: string | undefined, key: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`tls.${key}: cannot read "${path}": ${(error as Error).message}`, { cause: error });
  }
}

/** Reads the configured PEM files; errors name the config key and the path. */
export async function loadTlsFiles(tls: TlsClientConfig): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all([
    readPem(tls.ca_file, 'ca_file'),
    readPem(tls.cert_file, 'cert_file'),
    readPem(tls.key_file, 'key_file'),
  ]);
  return { ca, cert, key };
}
