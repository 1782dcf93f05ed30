import type { Logger } from '@semtel/component';
import type { DestinationStream } from 'pino';
import { pino } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'none';

/**
 * The service's logger: pino, one JSON object per line on stdout unless a destination is
 * given. pino's logger already has the component `Logger` shape, so components receive it as is.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level: level === 'none' ? 'silent' : level,
    base: { service: 'semtel' },
    // API keys travel in headers and LLM settings; make sure a logged config never shows them.
    redact: {
      paths: ['*.api_key', '*.headers', 'config.*.headers', 'config.*.api_key', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
