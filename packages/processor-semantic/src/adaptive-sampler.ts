import { isTraceSampledIn } from './trace-sampler.js';

export interface AdaptiveSamplerOptions {
  /** The configured ratio: the ceiling the sampler returns to when the backlog clears. */
  ratio: number;
  enabled: boolean;
  /** Interactions waiting for the classifier above which the ratio is lowered. */
  maxBacklog: number;
  minRatio: number;
}

export type SamplingDecision = 'sampled' | 'configured_out' | 'adaptive_out';

/**
 * Lowers the sampling ratio when the classifier's backlog outgrows what the endpoints serve,
 * instead of queueing without bound, and raises it again as the backlog clears. Decisions stay
 * deterministic on the trace id, and a lower ratio keeps a subset of the traces a higher one keeps.
 */
export class AdaptiveSampler {
  private current: number;

  constructor(private readonly options: AdaptiveSamplerOptions) {
    this.current = options.ratio;
  }

  get ratio(): number {
    return this.current;
  }

  decide(traceId: string): SamplingDecision {
    if (!isTraceSampledIn(traceId, this.options.ratio)) return 'configured_out';
    if (this.current < this.options.ratio && !isTraceSampledIn(traceId, this.current)) return 'adaptive_out';
    return 'sampled';
  }

  /** Called periodically with the backlog; multiplicative decrease, gentler increase. */
  update(backlog: number): void {
    if (!this.options.enabled) return;
    const { maxBacklog, minRatio, ratio } = this.options;
    if (backlog > maxBacklog) this.current = Math.max(minRatio, this.current * 0.7);
    else if (backlog < maxBacklog / 4) this.current = Math.min(ratio, this.current * 1.25 + 0.01);
  }
}
