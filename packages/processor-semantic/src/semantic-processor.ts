import type { Classifier, ClassificationItem, ClassificationOutcome, Taxonomy } from '@semtel/classifier';
import { LexicalClassifier, positionalItemIds } from '@semtel/classifier';
import type { Host, LogsConsumer, Processor, TelemetrySettings, TracesConsumer } from '@semtel/component';
import { errorMessage, once } from '@semtel/component';
import type { Interaction } from '@semtel/genai';
import {
  extractInteraction,
  genAiEventSpanKey,
  interactionContentKey,
  isGenAiContentLogRecord,
  isGenAiSpan,
  spanEventKey,
  spanReportsResponse,
  stripSpanContent,
  strippedLogRecord,
} from '@semtel/genai';
import type { LogRecord, Logs, ResourceSpans, ScopeSpans, Span, Traces } from '@semtel/pdata';
import { hasAttribute } from '@semtel/pdata';
import { AdaptiveSampler } from './adaptive-sampler.js';
import { isCapacityRefusal } from './capacity-refusal.js';
import { GenAiEventBuffer } from './genai-event-buffer.js';
import type { BatchItem } from './interaction-batcher.js';
import { InteractionBatcher } from './interaction-batcher.js';
import { ResultCache } from './result-cache.js';
import { SemanticStatus } from './semantic-status.js';
import type { SharedResultCache } from './shared-result-cache.js';
import type { ClassificationResult, EnrichmentOptions } from './span-enrichment.js';
import { enrichSpan, markSpan } from './span-enrichment.js';
import { SemanticTelemetry } from './semantic-telemetry.js';
import { renderTranscript } from './transcript.js';
import { isOwnClassificationRequest, mentionsOwnClassification } from './own-classification-request.js';
import { acceptsUpstreamLabels, hasUpstreamLabels, removeUpstreamLabels } from './upstream-labels.js';

export interface SemanticProcessorSettings {
  taxonomy: Taxonomy;
  classifier: Classifier;
  /** Tokens of the classifier's fixed instructions: the batch budget is what remains for items. */
  instructionTokens: number;
  batch: { maxTokens: number; maxItems: number; maxWaitMs: number };
  itemMaxTokens: number;
  maxHoldMs: number;
  joinWaitMs: number;
  maxHeldSpans: number;
  maxConcurrency: number;
  requestTimeoutMs: number;
  samplingRatio: number;
  /**
   * Lowers the ratio while the classifier cannot serve what it is offered. `maxWaitMs`: expected wait
   * above which a growing backlog counts as overload (default half of `maxHoldMs`); `maxBacklog`: the same
   * in interactions, 0 = none.
   */
  adaptiveSampling?: { enabled: boolean; maxBacklog: number; minRatio: number; maxWaitMs?: number };
  stripContent?: boolean;
  /** Redacts PII from transcripts before they leave for the classifier. */
  redact?: (text: string) => string;
  onBudgetExhausted?: 'lexical' | 'release';
  /**
   * Resolve consumeTraces only once the request's held spans have been handed downstream, for a
   * durable queue in front of this processor that deletes an entry only after delivery.
   */
  waitForRelease?: boolean;
  cache: { maxEntries: number; ttlMs: number };
  /** Results shared with other replicas: looked up on a local miss, written after classification. */
  sharedCache?: SharedResultCache;
  maxAttempts: number;
  enrichment: EnrichmentOptions;
}

interface HeldSpan {
  span: Span;
  resourceSpans: ResourceSpans;
  scopeSpans: ScopeSpans;
  heldAt: number;
  timer: NodeJS.Timeout;
  job: ClassificationJob | undefined;
  /** Set while the span waits for its content to arrive as log records. */
  eventKey: string | undefined;
  released: boolean;
  /** With `waitForRelease`: settles when the span has been handed downstream, or lost. */
  delivery: Delivery | undefined;
}

interface Delivery {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function createDelivery(): Delivery {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  // Rejections are observed by consumeTraces; this keeps an unobserved one from crashing the process.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

interface ClassificationJob {
  key: string;
  item: BatchItem;
  waiters: Set<HeldSpan>;
  /** The span whose arrival started the job is `classified`; copies that joined are `cached` (see complete). */
  originator: HeldSpan;
  attempts: number;
  /** Sent to the classifier at least once: its answer counts as served, so its expiry is not shed. */
  dispatched: boolean;
  /** When the job began (Date.now): the age of the oldest is the backlog's longest wait. */
  createdAt: number;
}

/** The time a classification request has: `deadline` for the classifier, `budgetMs` for its abort signal. */
interface RequestTime {
  /** Epoch ms (Date.now): the last of the batch's spans leaves then, or request_timeout ends the call. */
  deadline: number;
  budgetMs: number;
}

/** How long log-based GenAI events count as "seen", making content-less spans wait for theirs. */
const eventProducerWindowMs = 10 * 60_000;
const forwardRetryLimitMs = 60_000;
const holdDeadlineMarginMs = 250;
/** Instrumentation scopes known to send GenAI message content only as log records. */
const logEventProducerScopes =
  /^@opentelemetry\/instrumentation-(openai|genai|google-genai|bedrock|vertexai|langchain)|^opentelemetry\.instrumentation\./;

/**
 * The semantic processor. GenAI spans with content are held while their interaction is
 * classified; everything else leaves at once. A held span leaves when its labels are
 * ready, or at `max_hold` unlabelled, and always with `<prefix>.status` saying which.
 */
export class SemanticProcessor implements Processor {
  private readonly held = new Set<HeldSpan>();
  private readonly waitingForEvents = new Map<string, HeldSpan>();
  private readonly jobs = new Map<string, ClassificationJob>();
  private readonly events: GenAiEventBuffer;
  private readonly cache: ResultCache;
  private readonly batcher: InteractionBatcher;
  private readonly metrics: SemanticTelemetry;
  private releaseQueue: HeldSpan[] = [];
  private releaseScheduled = false;
  private readonly forwarding = new Set<Promise<void>>();
  private stopping = false;
  private readonly sampler: AdaptiveSampler;
  private readonly samplerTimer: NodeJS.Timeout;
  private fallbackClassifier: Classifier | undefined;

  constructor(
    private readonly settings: SemanticProcessorSettings,
    private readonly next: { traces?: TracesConsumer; logs?: LogsConsumer },
    private readonly telemetry: TelemetrySettings,
  ) {
    this.events = new GenAiEventBuffer({
      maxKeys: Math.max(1000, settings.maxHeldSpans),
      ttlMs: Math.max(60_000, settings.maxHoldMs),
    });
    this.cache = new ResultCache(settings.cache.maxEntries, settings.cache.ttlMs);
    this.batcher = new InteractionBatcher({
      maxTokens: Math.max(256, settings.batch.maxTokens - settings.instructionTokens),
      maxItems: settings.batch.maxItems,
      maxWaitMs: settings.batch.maxWaitMs,
      maxConcurrency: settings.maxConcurrency,
      dispatch: (batch) => this.dispatch(batch),
    });
    const adaptive = settings.adaptiveSampling ?? { enabled: false, maxBacklog: 0, minRatio: 0 };
    this.sampler = new AdaptiveSampler({
      ratio: settings.samplingRatio,
      enabled: adaptive.enabled,
      maxWaitMs: adaptive.maxWaitMs ?? settings.maxHoldMs / 2,
      maxBacklog: adaptive.maxBacklog,
      // Answers come a batch at a time: a backlog that changes by less is not growing.
      backlogNoise: settings.batch.maxItems,
      minRatio: Math.min(adaptive.minRatio, settings.samplingRatio),
    });
    this.samplerTimer = setInterval(() => this.sampler.update(this.backlog()), 1000);
    this.samplerTimer.unref();
    this.metrics = new SemanticTelemetry(telemetry.meter, {
      samplingRatio: () => this.sampler.ratio,
      expectedWaitMs: () => this.sampler.expectedWaitMs,
      heldSpans: () => this.held.size,
      queuedItems: () => this.batcher.queuedItems,
      inFlightRequests: () => this.batcher.inFlightRequests,
    });
  }

  async start(_host: Host): Promise<void> {}

  readonly shutdown = once(async (deadline?: AbortSignal): Promise<void> => {
    this.stopping = true;
    clearInterval(this.samplerTimer);
    // Give classifications in flight a bounded chance to finish, then release the rest unlabelled.
    const wait = Math.min(5000, this.settings.maxHoldMs);
    await Promise.race([
      this.batcher.idle(),
      new Promise<void>((resolve) => setTimeout(resolve, wait).unref()),
      abortPromise(deadline),
    ]);
    for (const heldSpan of [...this.held]) {
      this.release(heldSpan, SemanticStatus.unavailable, 'released unlabelled: the service is shutting down');
    }
    this.flushReleases();
    await Promise.race([Promise.allSettled([...this.forwarding]), abortPromise(deadline)]);
  });

  async consumeTraces(traces: Traces): Promise<void> {
    const now = Date.now();
    const passing: ResourceSpans[] = [];
    const deliveries: Promise<void>[] = [];
    for (const resourceSpans of traces.resourceSpans) {
      const passingScopes: ScopeSpans[] = [];
      let resourceChanged = false;
      for (const scopeSpans of resourceSpans.scopeSpans) {
        const passingSpans: Span[] = [];
        for (const span of scopeSpans.spans) {
          if (!isGenAiSpan(span, scopeSpans.scope)) {
            passingSpans.push(span);
            continue;
          }
          const admitted = this.admit(span, resourceSpans, scopeSpans, now);
          if (admitted === true) {
            this.stripIfConfigured(span);
            passingSpans.push(span);
          } else if (admitted.delivery) {
            deliveries.push(admitted.delivery.promise);
          }
        }
        if (passingSpans.length === scopeSpans.spans.length) {
          passingScopes.push(scopeSpans);
          continue;
        }
        resourceChanged = true;
        if (passingSpans.length > 0) passingScopes.push({ ...scopeSpans, spans: passingSpans });
      }
      if (!resourceChanged) passing.push(resourceSpans);
      else if (passingScopes.length > 0) passing.push({ ...resourceSpans, scopeSpans: passingScopes });
    }
    if (passing.length > 0) await this.forwardTraces({ resourceSpans: passing });
    if (deliveries.length > 0) await Promise.all(deliveries);
  }

  async consumeLogs(logs: Logs): Promise<void> {
    const now = Date.now();
    const byKey = new Map<string, LogRecord[]>();
    for (const resourceLogs of logs.resourceLogs) {
      for (const scopeLogs of resourceLogs.scopeLogs) {
        for (const record of scopeLogs.logRecords) {
          const key = genAiEventSpanKey(record);
          if (key === undefined) continue;
          // Its span will be sampled out whenever it comes (the configured ratio decides on the trace
          // id alone; the adaptive one may have risen by then), so its content would never be read.
          if (this.sampler.decide(record.traceId.toLowerCase()) === 'configured_out') continue;
          const records = byKey.get(key);
          if (records) records.push(record);
          else byKey.set(key, [record]);
        }
      }
    }
    for (const [key, records] of byKey) {
      for (const record of records) this.events.add(key, record, now);
      const waiting = this.waitingForEvents.get(key);
      if (waiting) this.tryJoin(waiting, key);
    }
    // Logs are never held: they leave at once, whatever becomes of their span.
    if (!this.next.logs) return;
    await this.next.logs.consumeLogs(this.settings.stripContent ? withoutGenAiContent(logs) : logs);
  }

  /** Decides a GenAI span's fate: true when it leaves now with the request that brought it, else its hold. */
  private admit(span: Span, resourceSpans: ResourceSpans, scopeSpans: ScopeSpans, now: number): true | HeldSpan {
    const eventKey = spanEventKey(span);
    const admitted = this.chooseFate(span, eventKey, resourceSpans, scopeSpans, now);
    // Content buffered for the span is read by now, unless the span waits for more of it: on every
    // other path it goes, so it cannot linger to the TTL and push out content other spans wait for.
    if (admitted === true || admitted.eventKey === undefined) this.events.take(eventKey);
    return admitted;
  }

  private chooseFate(
    span: Span,
    eventKey: string,
    resourceSpans: ResourceSpans,
    scopeSpans: ScopeSpans,
    now: number,
  ): true | HeldSpan {
    const options = this.settings.enrichment;
    const taxonomy = this.settings.taxonomy;
    // Semtel's own classification request, recorded by some instrumentation: classifying it would
    // start a loop, and it is not a user's interaction. It passes unlabelled, not held, not sampled.
    const buffered = this.events.peek(eventKey);
    if (
      mentionsOwnClassification(span, buffered) &&
      isOwnClassificationRequest(span, extractInteraction(span, scopeSpans.scope, buffered))
    ) {
      return true;
    }
    // Labelled upstream (a sidecar semtel before a gateway, or a re-run): keep those labels when they
    // are ours and valid; anything else under the prefix could be forged, so it goes and the span is
    // classified like any other.
    if (hasUpstreamLabels(span, taxonomy, options.prefix)) {
      if (acceptsUpstreamLabels(span, taxonomy, options.prefix)) return true;
      removeUpstreamLabels(span, taxonomy, options.prefix);
    }
    const decision = this.sampler.decide(span.traceId);
    if (decision !== 'sampled') {
      const reason =
        decision === 'adaptive_out'
          ? `adaptive sampling: the classifier cannot serve the load offered, so the ratio is lowered to ${this.sampler.ratio.toFixed(3)}`
          : undefined;
      markSpan(span, SemanticStatus.sampledOut, options, reason);
      this.metrics.status(SemanticStatus.sampledOut);
      return true;
    }
    const interaction = extractInteraction(span, scopeSpans.scope, buffered);
    if (this.stopping || this.held.size >= this.settings.maxHeldSpans) {
      const reason = this.stopping
        ? 'the service is shutting down'
        : `hold buffer full (${this.settings.maxHeldSpans} spans)`;
      if (interaction === undefined) markSpan(span, SemanticStatus.skippedNoContent, options);
      else markSpan(span, SemanticStatus.unavailable, options, reason);
      this.metrics.status(interaction === undefined ? SemanticStatus.skippedNoContent : SemanticStatus.unavailable);
      return true;
    }
    // Content may still come as log records (instrumentation-openai sends it only that way); a
    // span with only its system instructions on it waits for the turns the same way, and one
    // whose turns came as log records waits for the answer its span says was produced.
    if (
      this.settings.joinWaitMs > 0 &&
      awaitsLogContent(span, interaction, buffered) &&
      (hasConversation(interaction) || this.mayGetContentFromLogs(span, scopeSpans, now))
    ) {
      // The join wait is part of the hold, so it ends by max_hold at the latest.
      const joinWaitMs = Math.min(this.settings.joinWaitMs, this.settings.maxHoldMs);
      const heldSpan = this.hold(span, resourceSpans, scopeSpans, now, joinWaitMs);
      heldSpan.eventKey = eventKey;
      this.waitingForEvents.set(eventKey, heldSpan);
      return heldSpan;
    }
    if (interaction === undefined) {
      markSpan(span, SemanticStatus.skippedNoContent, options);
      this.metrics.status(SemanticStatus.skippedNoContent);
      return true;
    }
    const cached = this.cache.get(interactionContentKey(interaction));
    if (cached) {
      this.label(span, cached, SemanticStatus.cached, now);
      return true;
    }
    const heldSpan = this.hold(span, resourceSpans, scopeSpans, now, this.settings.maxHoldMs);
    this.classify(heldSpan, interaction);
    return heldSpan;
  }

  /**
   * Whether a content-less span is worth holding for `join_wait`: log-based GenAI events were
   * seen lately, or the span looks like a producer that sends content only as log records (the
   * 1.28–1.36 conventions mark spans with `gen_ai.system` and no `gen_ai.provider.name`), so
   * its events can still be joined when the span arrives first on a freshly started service.
   */
  private mayGetContentFromLogs(span: Span, scopeSpans: ScopeSpans, now: number): boolean {
    if (this.events.seenWithin(eventProducerWindowMs, now)) return true;
    if (logEventProducerScopes.test(scopeSpans.scope.name)) return true;
    return hasAttribute(span.attributes, 'gen_ai.system') && !hasAttribute(span.attributes, 'gen_ai.provider.name');
  }

  private hold(
    span: Span,
    resourceSpans: ResourceSpans,
    scopeSpans: ScopeSpans,
    now: number,
    waitMs: number,
  ): HeldSpan {
    const heldSpan: HeldSpan = {
      span,
      resourceSpans,
      scopeSpans,
      heldAt: now,
      timer: setTimeout(() => this.expire(heldSpan), Math.max(0, waitMs)),
      job: undefined,
      eventKey: undefined,
      released: false,
      delivery: this.settings.waitForRelease ? createDelivery() : undefined,
    };
    heldSpan.timer.unref();
    this.held.add(heldSpan);
    return heldSpan;
  }

  private expire(heldSpan: HeldSpan): void {
    const eventKey = heldSpan.eventKey;
    if (eventKey !== undefined) {
      // The join wait is over: classify what did arrive (instructions only, say), if anything.
      const interaction = extractInteraction(heldSpan.span, heldSpan.scopeSpans.scope, this.events.peek(eventKey));
      if (isOwnClassificationRequest(heldSpan.span, interaction)) this.release(heldSpan);
      else if (interaction === undefined) this.release(heldSpan, SemanticStatus.skippedNoContent);
      else this.beginClassification(heldSpan, eventKey, interaction);
      return;
    }
    const job = heldSpan.job;
    this.release(heldSpan, SemanticStatus.timeout, `not classified within max_hold (${this.settings.maxHoldMs} ms)`);
    // Its last span left before the classifier took it: demand the classifier did not meet. (A job
    // already sent is counted when its answer comes, as served, or when refused, as shed.)
    if (job !== undefined && !job.dispatched && job.waiters.size === 0 && this.jobs.get(job.key) === job)
      this.sampler.shed(1);
  }

  private tryJoin(heldSpan: HeldSpan, key: string): void {
    const joined = this.events.peek(key);
    const interaction = extractInteraction(heldSpan.span, heldSpan.scopeSpans.scope, joined);
    // Its content showed it to be semtel's own classification request: it leaves as it came.
    if (isOwnClassificationRequest(heldSpan.span, interaction)) {
      this.release(heldSpan);
      return;
    }
    if (interaction === undefined || awaitsLogContent(heldSpan.span, interaction, joined)) return;
    this.beginClassification(heldSpan, key, interaction);
  }

  /** Ends a span's wait for its log events; it gets the rest of its max_hold for classification. */
  private beginClassification(heldSpan: HeldSpan, key: string, interaction: Interaction): void {
    this.events.take(key);
    this.waitingForEvents.delete(key);
    heldSpan.eventKey = undefined;
    clearTimeout(heldSpan.timer);
    const remaining = this.settings.maxHoldMs - (Date.now() - heldSpan.heldAt);
    heldSpan.timer = setTimeout(() => this.expire(heldSpan), Math.max(0, remaining));
    heldSpan.timer.unref();
    const cached = this.cache.get(interactionContentKey(interaction));
    if (cached) {
      this.label(heldSpan.span, cached, SemanticStatus.cached, Date.now());
      this.release(heldSpan);
      return;
    }
    this.classify(heldSpan, interaction);
  }

  private classify(heldSpan: HeldSpan, interaction: Interaction): void {
    const key = interactionContentKey(interaction);
    const existing = this.jobs.get(key);
    if (existing) {
      existing.waiters.add(heldSpan);
      heldSpan.job = existing;
      return;
    }
    // Redaction runs inside the rendering, on no more of each text than the transcript can keep.
    const redact = this.settings.redact;
    const transcript = renderTranscript(interaction, this.settings.itemMaxTokens, redact ? { redact } : {});
    const job: ClassificationJob = {
      key,
      item: { key, transcript: transcript.text, tokens: transcript.tokens },
      waiters: new Set([heldSpan]),
      originator: heldSpan,
      attempts: 0,
      dispatched: false,
      createdAt: Date.now(),
    };
    heldSpan.job = job;
    this.jobs.set(key, job);
    // Shared result cache: another replica may have classified this interaction already.
    if (this.settings.sharedCache) void this.lookUpShared(job, this.settings.sharedCache);
    else this.enqueue(job);
  }

  /** Hands a new interaction to the batcher: demand on the classifier, as adaptive sampling counts it. */
  private enqueue(job: ClassificationJob): void {
    this.sampler.offered(1);
    this.batcher.add(job.item);
  }

  /** Interactions waiting for the classifier (queued here or in flight) and the longest wait among them. */
  private backlog(): { outstanding: number; oldestWaitMs: number } {
    const oldest = this.jobs.values().next().value;
    return {
      outstanding: this.jobs.size,
      oldestWaitMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest.createdAt),
    };
  }

  /** Shared result cache: a hit labels the job's spans `cached`; a miss or a failure classifies as usual. */
  private async lookUpShared(job: ClassificationJob, sharedCache: SharedResultCache): Promise<void> {
    let result: ClassificationResult | undefined;
    try {
      result = await sharedCache.get(job.key);
    } catch {
      result = undefined;
    }
    if (this.jobs.get(job.key) !== job) return;
    if (result === undefined) {
      this.enqueue(job);
      return;
    }
    this.jobs.delete(job.key);
    this.cache.set(job.key, result);
    const now = Date.now();
    for (const heldSpan of job.waiters) {
      this.label(heldSpan.span, result, SemanticStatus.cached, now);
      this.release(heldSpan);
    }
  }

  private async dispatch(batch: BatchItem[]): Promise<void> {
    // Interactions whose spans all left (timed out) are not worth a request any more.
    const jobs = batch
      .map((item) => this.jobs.get(item.key))
      .filter((job): job is ClassificationJob => job !== undefined && job.waiters.size > 0);
    for (const item of batch) if (!jobs.some((job) => job.key === item.key)) this.jobs.delete(item.key);
    if (jobs.length === 0) return;
    for (const job of jobs) job.dispatched = true;
    // Positional ids keep the output schema identical across full batches, so the prefix caches.
    const ids = positionalItemIds(jobs.length);
    const items: ClassificationItem[] = jobs.map((job, index) => ({
      id: ids[index] as string,
      transcript: job.item.transcript,
    }));
    const startedAt = performance.now();
    try {
      const outcome = await this.classifyWithFallback(items, this.requestTime(jobs));
      this.sampler.served(items.length);
      this.metrics.request(
        outcome.invalid.length === 0 ? 'success' : 'invalid_items',
        performance.now() - startedAt,
        items.length,
      );
      const resend: BatchItem[] = [];
      jobs.forEach((job, index) => {
        const labels = outcome.labels.get(items[index]?.id as string);
        if (labels !== undefined) {
          this.complete(job, { labels, model: outcome.model });
          return;
        }
        job.attempts += 1;
        if (job.attempts < this.settings.maxAttempts) resend.push(job.item);
        else this.fail(job, SemanticStatus.error, `classifier output invalid after ${job.attempts} attempts`);
      });
      if (resend.length > 0) this.batcher.resend(resend, Math.max(1, Math.ceil(jobs.length / 2)));
    } catch (error) {
      const kind = (error as { kind?: unknown }).kind;
      this.metrics.request('error', performance.now() - startedAt, items.length);
      if (isCapacityRefusal(error)) this.sampler.shed(jobs.length);
      this.telemetry.logger.warn(
        { error: errorMessage(error), kind, items: jobs.length },
        'classification request failed',
      );
      if ((kind === 'context_length' || kind === 'request_too_large') && jobs.length > 1) {
        this.batcher.resend(
          jobs.map((job) => job.item),
          Math.ceil(jobs.length / 2),
        );
        return;
      }
      const status =
        kind === 'over_budget'
          ? SemanticStatus.overBudget
          : kind === 'aborted' || kind === 'timeout'
            ? SemanticStatus.timeout
            : // The endpoints, not the data, failed once retries ran out: say so, as an open circuit does.
              kind === 'quota_exhausted' ||
                kind === 'authentication' ||
                kind === 'unavailable' ||
                kind === 'rate_limited' ||
                kind === 'network' ||
                kind === 'server'
              ? SemanticStatus.unavailable
              : SemanticStatus.error;
      for (const job of jobs) this.fail(job, status, `classification failed: ${errorMessage(error)}`);
    }
  }

  /**
   * The configured classifier; when its budget is spent and the config says so, the offline
   * lexical classifier instead, so spans keep getting labels at no cost.
   */
  private async classifyWithFallback(items: ClassificationItem[], time: RequestTime): Promise<ClassificationOutcome> {
    const signal = AbortSignal.timeout(time.budgetMs);
    try {
      return await this.settings.classifier.classify(items, this.settings.taxonomy, signal, {
        deadline: time.deadline,
      });
    } catch (error) {
      if ((error as { kind?: unknown }).kind !== 'over_budget' || this.settings.onBudgetExhausted !== 'lexical') {
        throw error;
      }
      this.fallbackClassifier ??= new LexicalClassifier();
      return this.fallbackClassifier.classify(items, this.settings.taxonomy, signal);
    }
  }

  /**
   * How long a request may take, retries and rate-limit waits included: no longer than
   * `request_timeout`, and no longer than the last of its spans may be held, since a result
   * that comes after every span has left labels nothing (it would only fill the cache).
   */
  private requestTime(jobs: ClassificationJob[]): RequestTime {
    let latestRelease = 0;
    for (const job of jobs) {
      for (const waiter of job.waiters)
        latestRelease = Math.max(latestRelease, waiter.heldAt + this.settings.maxHoldMs);
    }
    const now = Date.now();
    return {
      // The classifier starts no attempt (a retry, a request behind its rate-limit queue) that would end
      // after this, and says so at once: the spans leave then, not at max_hold, and no tokens are spent.
      deadline: Math.min(latestRelease, now + this.settings.requestTimeoutMs),
      // The signal ends what is under way a little past the hold, so the hold timers release the spans
      // first, as `timeout`.
      budgetMs: Math.max(1, Math.min(this.settings.requestTimeoutMs, latestRelease - now + holdDeadlineMarginMs)),
    };
  }

  private stripIfConfigured(span: Span): void {
    if (this.settings.stripContent) stripSpanContent(span);
  }

  private complete(job: ClassificationJob, result: ClassificationResult): void {
    this.jobs.delete(job.key);
    this.cache.set(job.key, result);
    // Shared result cache: a failed write costs the other replicas a classification, nothing more.
    try {
      this.settings.sharedCache?.set(job.key, result, this.settings.cache.ttlMs).catch(() => {});
    } catch {
      // As above.
    }
    this.metrics.interaction(result.labels);
    const now = Date.now();
    // The result is `classified` for the span it was computed for: the originator, or, when that one
    // left already (at its max_hold), the earliest copy still waiting, which got it first-hand too.
    const classifiedFor = job.waiters.has(job.originator) ? job.originator : job.waiters.values().next().value;
    for (const heldSpan of job.waiters) {
      const status = heldSpan === classifiedFor ? SemanticStatus.classified : SemanticStatus.cached;
      this.label(heldSpan.span, result, status, now);
      this.release(heldSpan, undefined);
    }
  }

  private fail(job: ClassificationJob, status: SemanticStatus, reason: string): void {
    this.jobs.delete(job.key);
    for (const heldSpan of job.waiters) this.release(heldSpan, status, reason);
  }

  private label(span: Span, result: ClassificationResult, status: SemanticStatus, now: number): void {
    enrichSpan(span, result, status, this.settings.taxonomy, this.settings.enrichment, BigInt(now) * 1_000_000n);
    this.metrics.status(status);
  }

  /** Sends a held span on; `status` marks it unlabelled, undefined means it was labelled. */
  private release(heldSpan: HeldSpan, status?: SemanticStatus, reason?: string): void {
    if (heldSpan.released) return;
    heldSpan.released = true;
    clearTimeout(heldSpan.timer);
    this.held.delete(heldSpan);
    heldSpan.job?.waiters.delete(heldSpan);
    if (heldSpan.eventKey !== undefined) {
      this.waitingForEvents.delete(heldSpan.eventKey);
      this.events.take(heldSpan.eventKey);
    }
    if (status !== undefined) {
      markSpan(heldSpan.span, status, this.settings.enrichment, reason);
      this.metrics.status(status);
    }
    this.metrics.holdTime(Date.now() - heldSpan.heldAt);
    this.stripIfConfigured(heldSpan.span);
    this.releaseQueue.push(heldSpan);
    if (!this.releaseScheduled) {
      this.releaseScheduled = true;
      setImmediate(() => this.flushReleases());
    }
  }

  /** Sends released spans in one request per tick, regrouped under their resource and scope. */
  private flushReleases(): void {
    this.releaseScheduled = false;
    const released = this.releaseQueue;
    this.releaseQueue = [];
    if (released.length === 0) return;
    const byResource = new Map<ResourceSpans, Map<ScopeSpans, Span[]>>();
    for (const heldSpan of released) {
      let byScope = byResource.get(heldSpan.resourceSpans);
      if (!byScope) byResource.set(heldSpan.resourceSpans, (byScope = new Map()));
      const spans = byScope.get(heldSpan.scopeSpans);
      if (spans) spans.push(heldSpan.span);
      else byScope.set(heldSpan.scopeSpans, [heldSpan.span]);
    }
    const traces: Traces = {
      resourceSpans: [...byResource].map(([resourceSpans, byScope]) => ({
        resource: resourceSpans.resource,
        schemaUrl: resourceSpans.schemaUrl,
        scopeSpans: [...byScope].map(([scopeSpans, spans]) => ({
          scope: scopeSpans.scope,
          schemaUrl: scopeSpans.schemaUrl,
          spans,
        })),
      })),
    };
    const forwarding = this.forwardHeld(traces, released).finally(() => this.forwarding.delete(forwarding));
    this.forwarding.add(forwarding);
  }

  /**
   * Held spans were acknowledged to the sender long ago, so a refusal downstream (a full
   * exporter queue) is retried here with backoff instead of being returned to anyone.
   */
  private async forwardHeld(traces: Traces, released: HeldSpan[]): Promise<void> {
    const startedAt = Date.now();
    let delay = 50;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.forwardTraces(traces);
        for (const heldSpan of released) heldSpan.delivery?.resolve();
        return;
      } catch (error) {
        if (Date.now() - startedAt > forwardRetryLimitMs || (this.stopping && attempt > 3)) {
          this.metrics.lost(released.length);
          this.telemetry.logger.error(
            { error: errorMessage(error), spans: released.length, attempts: attempt },
            'could not hand released GenAI spans downstream; they are lost',
          );
          const failure = new Error(`released GenAI spans could not be handed downstream: ${errorMessage(error)}`);
          for (const heldSpan of released) heldSpan.delivery?.reject(failure);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  private async forwardTraces(traces: Traces): Promise<void> {
    if (!this.next.traces) throw new Error('the semantic processor has no next traces consumer');
    await this.next.traces.consumeTraces(traces);
  }
}

/** True when the interaction has turns or output, not only system instructions. */
function hasConversation(interaction: Interaction | undefined): boolean {
  return interaction !== undefined && (interaction.messages.length > 0 || interaction.output.length > 0);
}

/**
 * Whether more of the interaction is still to come as log records: there are no turns yet, or the
 * turns came as log records and the span says the model answered, but no answer was joined. Those
 * records travel apart from the span (a separate exporter), so the answer often comes last;
 * classifying without it would miss the output and give a content key other copies do not share.
 */
function awaitsLogContent(span: Span, interaction: Interaction | undefined, joined: LogRecord[] | undefined): boolean {
  if (!hasConversation(interaction)) return true;
  return (
    interaction !== undefined &&
    interaction.output.length === 0 &&
    joined !== undefined &&
    joined.length > 0 &&
    spanReportsResponse(span)
  );
}

/** A copy of the request whose GenAI content log records have lost their content; the rest is shared. */
function withoutGenAiContent(logs: Logs): Logs {
  return {
    resourceLogs: logs.resourceLogs.map((resourceLogs) => ({
      ...resourceLogs,
      scopeLogs: resourceLogs.scopeLogs.map((scopeLogs) => ({
        ...scopeLogs,
        logRecords: scopeLogs.logRecords.map((record) =>
          isGenAiContentLogRecord(record) ? strippedLogRecord(record) : record,
        ),
      })),
    })),
  };
}

function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise<void>(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
