export type Encoding = 'protobuf' | 'json';

/** Same union as `Signal` in @semtel/component, which otlp may not import. */
export type Signal = 'traces' | 'logs' | 'metrics';
