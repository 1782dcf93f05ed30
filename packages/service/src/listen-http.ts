import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from '@semtel/receiver-otlp';
import { formatEndpoint } from '@semtel/receiver-otlp';

/** Starts `server` on the endpoint and resolves with the bound `host:port` (port 0 picks a free one). */
export async function listenHttp(server: Server, endpoint: Endpoint): Promise<string> {
  // A malformed request must cost the socket, never the process.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint.port, endpoint.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return formatEndpoint({ host: bound.address, port: bound.port });
}
