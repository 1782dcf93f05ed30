export type { DurableQueueConfig, FsyncPolicy } from './durable-queue-config.js';
export { durableQueueConfigSchema, fsyncPolicies } from './durable-queue-config.js';
export { DurableQueueProcessor } from './durable-queue-processor.js';
export type { DurableQueueProcessorOptions } from './durable-queue-processor.js';
export {
  durableQueueProcessorFactory,
  logsCodec,
  metricsCodec,
  storePath,
  tracesCodec,
} from './durable-queue-processor-factory.js';
export { InFlightBudget } from './in-flight-budget.js';
export { QueueCapacity } from './queue-capacity.js';
export type { QueuePartition, StoredEntry } from './queue-store.js';
export { QueueStore } from './queue-store.js';
export type { Backoff, SignalCodec, SignalQueueEvents, SignalQueueOptions } from './signal-queue.js';
export { SignalQueue } from './signal-queue.js';
export { damagedStorePath, setAsideDamagedStore } from './store-damage-recovery.js';
export type { StoreDamageRecoveryOptions } from './store-damage-recovery.js';
export { acquireStoreLock, currentProcessIdentity, StoreInUseError } from './store-lock.js';
export type { ProcessIdentity, StoreLock, StoreLockOptions, StoreOwner } from './store-lock.js';
export { verifyStore } from './store-verification.js';
export type { StoreVerdict, StoreVerificationOptions } from './store-verification.js';
export { storeWriteError } from './store-write-error.js';
