export {};
export type {
  FaultScope,
  LogRecordWithContext,
  OtlpSinkOptions,
  SinkFault,
  SinkOutcome,
  SinkRequest,
  SinkSignal,
  SinkTransport,
  SpanWithContext,
} from './otlp-sink.js';
export { flattenLogRecords, flattenSpans, OtlpSink } from './otlp-sink.js';
export type {
  GenAiSpanBuildOptions,
  LogRecordBuildOptions,
  MixedTracesOptions,
  SpanBuildOptions,
} from './span-builders.js';
export {
  buildGenAiEventLogRecord,
  buildGenAiSpan,
  buildLogRecord,
  buildLogs,
  buildMixedTraces,
  buildResource,
  buildScope,
  buildSmallSpan,
  buildTraces,
  nowUnixNano,
  proseOfLength,
  randomSpanId,
  randomTraceId,
} from './span-builders.js';
export { FakeOpenAiServer } from './fake-openai-server.js';
export type {
  FakeChatMessage,
  FakeOpenAiBehaviour,
  FakeOpenAiFaults,
  FakeOpenAiRequest,
  FakeOpenAiServerOptions,
  FakeOpenAiUsage,
} from './fake-openai-server.js';
export { answerFromSchema, findJsonObjects } from './fake-openai-server-answer.js';
export type { EnumAnswerMode, SchemaAnswerOptions } from './fake-openai-server-answer.js';
export { FakeRateLimiter, formatGoDuration } from './fake-openai-server-rate-limits.js';
export type { FakeRateLimits, RateLimitVerdict } from './fake-openai-server-rate-limits.js';
