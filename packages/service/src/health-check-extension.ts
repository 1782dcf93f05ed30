import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { Extension, ExtensionFactory, Logger } from '@semtel/component';
import { errorMessage, once } from '@semtel/component';
import { z } from 'zod';
import { endpointSchema, parseEndpoint } from '@semtel/receiver-otlp';
import { listenHttp } from './listen-http.js';
import type { ServiceStatus } from './service-status.js';

export const healthCheckConfigSchema = z
  .strictObject({
    endpoint: endpointSchema.default('127.0.0.1:13133'),
    path: z
      .string()
      .regex(/^\/[^\s?#]*$/, 'must start with "/" and contain no spaces, "?" or "#"')
      .default('/'),
  })
  .prefault({});

export type HealthCheckConfig = z.output<typeof healthCheckConfigSchema>;

/** The collector's `health_check`: GET `path` → 200 "Server available" while running, 503 otherwise. */
export class HealthCheckExtension implements Extension {
  readonly #config: HealthCheckConfig;
  readonly #status: ServiceStatus;
  readonly #logger: Logger;
  #server: Server | undefined;
  #boundAddress: string | undefined;

  constructor(config: HealthCheckConfig, status: ServiceStatus, logger: Logger) {
    this.#config = config;
    this.#status = status;
    this.#logger = logger;
  }

  /** The bound `host:port`, once started (the real port when configured with port 0). */
  addresses(): Record<string, string> {
    return this.#boundAddress === undefined ? {} : { http: this.#boundAddress };
  }

  readonly start = once(async (): Promise<void> => {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path !== this.#config.path) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
        return;
      }
      const ready = this.#status.isReady();
      const since = this.#status.runningSince;
      const body = ready
        ? {
            status: 'Server available',
            upSince: since?.toISOString(),
            uptime: formatUptime(Date.now() - (since?.getTime() ?? Date.now())),
          }
        : { status: 'Server not available', upSince: '0001-01-01T00:00:00Z', uptime: '' };
      response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    this.#boundAddress = await listenHttp(server, parseEndpoint(this.#config.endpoint));
    server.on('error', (error) => this.#logger.error({ error: errorMessage(error) }, 'health check server error'));
    this.#server = server;
    this.#logger.debug({ endpoint: this.addresses().http }, 'health check listening');
  });

  readonly shutdown = once(async (): Promise<void> => {
    const server = this.#server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
}

/** A Go-style duration such as "1m2.5s", the form the collector's health check reports. */
function formatUptime(milliseconds: number): string {
  const totalSeconds = milliseconds / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Number((totalSeconds % 60).toFixed(3));
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${seconds}s`;
}

export function createHealthCheckExtensionFactory(status: ServiceStatus): ExtensionFactory<HealthCheckConfig> {
  return {
    type: 'health_check',
    configSchema: healthCheckConfigSchema,
    create(settings, config) {
      return new HealthCheckExtension(config, status, settings.telemetry.logger);
    },
  };
}
