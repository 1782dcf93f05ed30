export { MemoryLimiter } from './memory-limiter.js';
export type { MemoryLimiterOptions, MemoryState } from './memory-limiter.js';
export type { MemoryLimiterConfig } from './memory-limiter-config.js';
export { memoryLimiterConfigSchema } from './memory-limiter-config.js';
export { MemoryLimiterProcessor, refusedMessage } from './memory-limiter-processor.js';
export type { MemoryLimiterProcessorOptions } from './memory-limiter-processor.js';
export type { MemoryLimiterProcessorFactoryOptions } from './memory-limiter-processor-factory.js';
export {
  createMemoryLimiterProcessorFactory,
  memoryLimiterProcessorFactory,
} from './memory-limiter-processor-factory.js';
export type { LimitPair, MemoryLimits } from './memory-limits.js';
export { resolveMemoryLimits } from './memory-limits.js';
export type { MemoryReader, MemoryUsage } from './memory-reader.js';
export type { ProcessMemoryReaderOptions } from './memory-reader.js';
export { anonymousResidentBytes, createProcessMemoryReader, processMemoryReader } from './memory-reader.js';
export { FakeMemoryReader } from './fake-memory-reader.js';
