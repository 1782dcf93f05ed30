import type { BacklogNow, ClassifierLoad } from './classifier-load-window.js';
import { ClassifierLoadWindow } from './classifier-load-window.js';
import { isTraceSampledIn } from './trace-sampler.js';

export interface AdaptiveSamplerOptions {
  /** The configured ratio: the ceiling the sampler returns to when the backlog clears. */
  ratio: number;
  enabled: boolean;
  minRatio: number;
  /** Expected wait of a newly sent interaction above which the ratio is lowered (while the backlog grows). */
  maxWaitMs: number;
  /** Interactions waiting above which the ratio is lowered too (while the backlog grows); 0 = no such bound. */
  maxBacklog: number;
  /** A change in the backlog this small is noise: answers come a batch at a time (`batch.max_items`). */
  backlogNoise: number;
  /** Clock (epoch ms) of the measurement window. */
  now?: () => number;
}

export type SamplingDecision = 'sampled' | 'configured_out' | 'adaptive_out';

/** How far back offered and served interactions are measured. */
const windowMs = 10_000;
/** The most of the measured service rate aimed at when lowering, so the backlog drains. */
const drainHeadroom = 0.9;
/** The most one update lowers the ratio, whatever a noisy estimate says. */
const largestCut = 0.5;
/** Updates in a row without any sign of overload before the ratio rises. */
const clearUpdatesBeforeRaise = 5;
/** Each raise: ×1.1 plus 1 % of the configured ratio (so it climbs from near zero too). */
const raiseFactor = 1.1;
const raiseStep = 0.01;

/**
 * Lowers the sampling ratio when the classifier cannot serve what it is offered, instead of queueing
 * without bound, and raises it again, gradually, once the backlog clears. Decisions stay deterministic
 * on the trace id, and a lower ratio keeps a subset of the traces a higher one keeps.
 *
 * The processor reports interactions offered to the classifier, served by it, and shed (refused for
 * lack of capacity, or left at max_hold unserved); `update` runs once a second with the backlog.
 * Overload is a shed interaction, or a backlog that grows while its expected wait (backlog ÷ measured
 * service rate) is above `maxWaitMs`. The ratio then goes to the share of the demand the classifier
 * served (service rate ÷ demand at ratio 1, with headroom to drain), so a 3× overload settles near a
 * third rather than stepping down blindly, and the unservable part leaves `sampled_out` at once
 * instead of waiting to time out. A slow classifier that keeps up has a long wait but no growing
 * backlog, and is not mistaken for an overloaded one.
 */
export class AdaptiveSampler {
  private current: number;
  private readonly window: ClassifierLoadWindow;
  private clearUpdates = 0;
  private latest: ClassifierLoad | undefined;

  constructor(private readonly options: AdaptiveSamplerOptions) {
    this.current = options.ratio;
    this.window = new ClassifierLoadWindow({
      windowMs,
      backlogNoise: Math.max(1, options.backlogNoise),
      now: options.now ?? Date.now,
    });
  }

  get ratio(): number {
    return this.current;
  }

  /** The latest estimate of how long an interaction sent now would wait for the classifier. */
  get expectedWaitMs(): number {
    return this.latest?.expectedWaitMs ?? 0;
  }

  decide(traceId: string): SamplingDecision {
    if (!isTraceSampledIn(traceId, this.options.ratio)) return 'configured_out';
    if (this.current < this.options.ratio && !isTraceSampledIn(traceId, this.current)) return 'adaptive_out';
    return 'sampled';
  }

  /** Interactions sent to the classifier for the first time (re-sends are not new demand). */
  offered(count = 1): void {
    this.window.offered(count);
  }

  /** Interactions the classifier answered. */
  served(count: number): void {
    this.window.served(count);
  }

  /** Interactions the classifier could not serve for lack of capacity or time. */
  shed(count: number): void {
    this.window.shed(count);
  }

  /** Called about once a second with the backlog: lowers, holds or raises the ratio. */
  update(backlog: BacklogNow): void {
    const load = this.window.close(this.current, backlog);
    this.latest = load;
    if (!this.options.enabled) return;
    const { maxWaitMs, maxBacklog, minRatio, ratio: ceiling } = this.options;
    // Before the first answer of a busy period a slow classifier and a stuck one look alike: only shed
    // interactions (refusals, spans left at max_hold) say which, so the wait counts once one was served.
    const overWait =
      (load.serviceRate !== undefined && load.expectedWaitMs > maxWaitMs) ||
      (maxBacklog > 0 && load.outstanding > maxBacklog);
    // The share of the demand the classifier served lately; while a backlog waits, that is all it can serve.
    const servable = load.serviceRate !== undefined && load.demandRate > 0 ? load.serviceRate / load.demandRate : 0;
    if (load.shedNow > 0 || (overWait && load.growing)) {
      this.clearUpdates = 0;
      // The further the wait is over the bound, the more headroom, so the backlog drains within seconds.
      const headroom = Math.min(drainHeadroom, maxWaitMs / Math.max(1, load.expectedWaitMs));
      const lowered = Math.max(this.current * largestCut, Math.min(this.current, servable * headroom));
      this.current = Math.min(ceiling, Math.max(minRatio, lowered));
      return;
    }
    // Hysteresis: no shed, and a wait under half the bound, or within it and no longer growing. Above the
    // bound the backlog must drain first (a wait made of service time alone, a classifier slower than
    // maxWaitMs, cannot drain: maxWaitMs belongs above the classifier's usual latency).
    const underHalf = load.expectedWaitMs <= maxWaitMs / 2 && (maxBacklog === 0 || load.outstanding <= maxBacklog / 2);
    const clear = !overWait && (underHalf || !load.growing);
    this.clearUpdates = clear ? this.clearUpdates + 1 : 0;
    if (this.clearUpdates >= clearUpdatesBeforeRaise && this.current < ceiling) {
      let raised = Math.min(ceiling, this.current * raiseFactor + raiseStep * ceiling);
      // With a backlog the classifier is busy: probe at most a step past what it served, so the backlog
      // creeps up rather than jumps (without one, there may be room to spare and nothing to measure it by).
      if (!underHalf) raised = Math.min(raised, Math.max(this.current, servable * raiseFactor));
      this.current = raised;
    }
  }
}
