/** One interval between two `close` calls. */
interface LoadInterval {
  startedAt: number;
  endedAt: number;
  offered: number;
  served: number;
  shed: number;
  /** The sampling ratio in force while the interval ran: offered ÷ ratio is the demand at ratio 1. */
  ratio: number;
  /** Interactions still waiting for the classifier when the interval closed. */
  outstanding: number;
}

export interface BacklogNow {
  /** Interactions sent for classification and not answered yet (queued or in flight). */
  outstanding: number;
  /** How long the oldest of them has waited; 0 when there are none. */
  oldestWaitMs: number;
}

/** What the window measured, for the sampler's decision. */
export interface ClassifierLoad {
  /** Interactions per second the classifier answered while it had work (undefined: none answered yet). */
  serviceRate: number | undefined;
  /** Interactions per second that would go to the classifier at ratio 1, over the same time. */
  demandRate: number;
  /**
   * How long an interaction sent now would wait: the backlog ÷ the service rate; before any answer, the
   * oldest's wait so far. (Once answers come, the oldest's wait lags: it tells how the queue was when it
   * joined, not how it is.)
   */
  expectedWaitMs: number;
  outstanding: number;
  /**
   * The backlog grew over the window (since the first answer, when that is later) by more than the noise
   * of answers that come a batch at a time.
   */
  growing: boolean;
  /** Interactions refused for lack of capacity in the latest interval. */
  shedNow: number;
}

export interface ClassifierLoadWindowOptions {
  windowMs: number;
  /** A change in the backlog this small is noise (answers arrive one batch at a time). */
  backlogNoise: number;
  now: () => number;
}

/**
 * Measures, over a sliding window of intervals, what the classifier is offered and what it serves,
 * in interactions. The service rate counts only time since the classifier first answered in the
 * current busy period: before the first answer comes back nothing is known (a request takes seconds),
 * and an idle stretch says nothing about how fast it serves.
 */
export class ClassifierLoadWindow {
  private readonly intervals: LoadInterval[] = [];
  private current = { offered: 0, served: 0, shed: 0 };
  private startedAt: number;
  /** Start of the first interval with an answer since the backlog was last empty. */
  private servingSince: number | undefined;

  constructor(private readonly options: ClassifierLoadWindowOptions) {
    this.startedAt = options.now();
  }

  offered(count: number): void {
    this.current.offered += count;
  }

  served(count: number): void {
    this.current.served += count;
  }

  shed(count: number): void {
    this.current.shed += count;
  }

  /** Ends the current interval (run at `ratio`) and returns what the window shows now. */
  close(ratio: number, backlog: BacklogNow): ClassifierLoad {
    const now = this.options.now();
    const interval: LoadInterval = {
      startedAt: this.startedAt,
      endedAt: Math.max(now, this.startedAt + 1),
      ...this.current,
      ratio,
      outstanding: backlog.outstanding,
    };
    this.intervals.push(interval);
    this.current = { offered: 0, served: 0, shed: 0 };
    this.startedAt = now;
    while (this.intervals.length > 1 && (this.intervals[0] as LoadInterval).endedAt <= now - this.options.windowMs) {
      this.intervals.shift();
    }
    if (interval.served > 0) this.servingSince ??= interval.startedAt;
    const load = this.measure(interval, backlog);
    // Nothing waits: the next busy period's service rate is measured afresh.
    if (backlog.outstanding === 0) this.servingSince = undefined;
    return load;
  }

  private measure(latest: LoadInterval, backlog: BacklogNow): ClassifierLoad {
    const servingSince = this.servingSince;
    const firstMeasured =
      servingSince === undefined ? -1 : this.intervals.findIndex((interval) => interval.startedAt >= servingSince);
    const measured = firstMeasured < 0 ? [] : this.intervals.slice(firstMeasured);
    // Growth since the service rate has been known: before the first answer the backlog grows whatever
    // the classifier's capacity, for as long as a request takes.
    const baseline = this.intervals[Math.max(0, firstMeasured - 1)] as LoadInterval;
    const growing = backlog.outstanding > baseline.outstanding + this.options.backlogNoise;
    let seconds = 0;
    let served = 0;
    let demand = 0;
    for (const interval of measured) {
      seconds += (interval.endedAt - interval.startedAt) / 1000;
      served += interval.served;
      if (interval.ratio > 0) demand += interval.offered / interval.ratio;
    }
    const serviceRate = seconds > 0 && served > 0 ? served / seconds : undefined;
    const expectedWaitMs =
      backlog.outstanding === 0
        ? 0
        : serviceRate === undefined
          ? backlog.oldestWaitMs
          : (1000 * backlog.outstanding) / serviceRate;
    return {
      serviceRate,
      demandRate: seconds > 0 ? demand / seconds : 0,
      expectedWaitMs,
      outstanding: backlog.outstanding,
      growing,
      shedNow: latest.shed,
    };
  }
}
