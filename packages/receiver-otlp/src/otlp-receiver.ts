import type { CreateSettings, Host, NextConsumers, Receiver } from '@semtel/component';
import { formatComponentId } from '@semtel/component';
import { InFlightBytes } from './in-flight-bytes.js';
import { OtlpGrpcServer } from './otlp-grpc-server.js';
import { OtlpHttpServer } from './otlp-http-server.js';
import type { OtlpReceiverConfig } from './otlp-receiver-config.js';
import { ReceiverMetrics } from './receiver-metrics.js';
import { SignalReceiver } from './signal-receiver.js';

const mebibyte = 1024 * 1024;

/** Where each enabled protocol listens once started; ports are the real ones, also when 0 was configured. */
export interface OtlpReceiverAddresses {
  http?: string;
  grpc?: string;
}

/** Receives OTLP over HTTP and gRPC and hands each request to the next consumer of its signal. */
export class OtlpReceiver implements Receiver {
  private readonly httpServer: OtlpHttpServer | undefined;
  private readonly grpcServer: OtlpGrpcServer | undefined;
  private starting: Promise<void> | undefined;
  private shuttingDown: Promise<void> | undefined;

  constructor(
    private readonly settings: CreateSettings,
    config: OtlpReceiverConfig,
    next: NextConsumers,
  ) {
    const id = formatComponentId(settings.id);
    const logger = settings.telemetry.logger;
    const receivers = SignalReceiver.forConsumers(next, new ReceiverMetrics(settings.telemetry.meter, id), logger);
    const { http, grpc } = config.protocols;
    // One budget for both transports: they share the process's memory.
    const inFlight = new InFlightBytes(config.admission.request_limit_mib * mebibyte);
    this.httpServer = http === undefined ? undefined : new OtlpHttpServer(http, receivers, logger, inFlight);
    this.grpcServer = grpc === undefined ? undefined : new OtlpGrpcServer(grpc, receivers, logger, inFlight);
  }

  start(_host: Host): Promise<void> {
    if (this.shuttingDown !== undefined) return Promise.reject(new Error('the OTLP receiver was already shut down'));
    this.starting ??= this.startServers();
    return this.starting;
  }

  shutdown(deadline?: AbortSignal): Promise<void> {
    this.shuttingDown ??= this.stopServers(deadline);
    return this.shuttingDown;
  }

  addresses(): OtlpReceiverAddresses {
    const addresses: OtlpReceiverAddresses = {};
    const http = this.httpServer?.address();
    const grpc = this.grpcServer?.address();
    if (http !== undefined) addresses.http = http;
    if (grpc !== undefined) addresses.grpc = grpc;
    return addresses;
  }

  private async startServers(): Promise<void> {
    const logger = this.settings.telemetry.logger;
    try {
      if (this.httpServer !== undefined) {
        logger.info({ transport: 'http', endpoint: await this.httpServer.start() }, 'OTLP/HTTP receiver listening');
      }
      if (this.grpcServer !== undefined) {
        logger.info({ transport: 'grpc', endpoint: await this.grpcServer.start() }, 'OTLP/gRPC receiver listening');
      }
    } catch (error) {
      // Release whatever did bind, so a failed start leaves no port behind.
      await Promise.all([this.httpServer?.shutdown(), this.grpcServer?.shutdown()]);
      throw error;
    }
  }

  private async stopServers(deadline: AbortSignal | undefined): Promise<void> {
    // A start in progress finishes binding first, so that nothing stays bound after shutdown.
    await this.starting?.catch(() => undefined);
    await Promise.all([this.httpServer?.shutdown(deadline), this.grpcServer?.shutdown(deadline)]);
  }
}
