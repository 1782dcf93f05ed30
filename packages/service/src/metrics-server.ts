import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { Logger } from '@semtel/component';
import { errorMessage } from '@semtel/component';
import { parseEndpoint } from '@semtel/receiver-otlp';
import { listenHttp } from './listen-http.js';
import type { PrometheusMeter } from './prometheus-meter.js';

/** Serves the self-metrics as Prometheus text at `/metrics`. */
export class MetricsServer {
  readonly #server: Server;
  readonly #address: string;

  private constructor(server: Server, address: string) {
    this.#server = server;
    this.#address = address;
  }

  static async start(address: string, meter: PrometheusMeter, logger: Logger): Promise<MetricsServer> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
        return;
      }
      meter.metricsText().then(
        (text) => response.writeHead(200, { 'content-type': meter.contentType }).end(text),
        (error: unknown) => {
          logger.warn({ error: errorMessage(error) }, 'could not collect self-metrics');
          response.writeHead(500, { 'content-type': 'text/plain' }).end('could not collect metrics\n');
        },
      );
    });
    const boundAddress = await listenHttp(server, parseEndpoint(address));
    server.on('error', (error) => logger.error({ error: errorMessage(error) }, 'metrics server error'));
    return new MetricsServer(server, boundAddress);
  }

  /** The bound `host:port` (the real port when configured with port 0). */
  get address(): string {
    return this.#address;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
