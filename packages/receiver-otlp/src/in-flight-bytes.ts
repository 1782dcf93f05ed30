/**
 * The request bytes a receiver holds at once, across all its requests and both transports: the
 * body as received, and again decompressed. The decoded data that goes with them lives no longer
 * than the request does, so bounding these bounds the receiver's memory. A request that does not
 * fit is answered with a retryable error before more of it is read.
 */
export class InFlightBytes {
  #used = 0;
  #holders = 0;

  constructor(readonly limit: number) {}

  /** Bytes held by every open reservation. */
  get used(): number {
    return this.#used;
  }

  /** Nothing more fits: a new request can be refused before any of it is read. */
  get full(): boolean {
    return this.#used >= this.limit;
  }

  /** One request's share; release it when the request is answered. */
  open(): InFlightReservation {
    return new InFlightReservation(this);
  }

  /** @internal Reservation bookkeeping. */
  tryAdd(reservation: InFlightReservation, bytes: number): boolean {
    // A request alone may take more than the limit (up to the body size limit), or a limit
    // below the largest body would refuse that body forever.
    const alone = this.#holders === (reservation.held > 0 ? 1 : 0);
    if (!alone && this.#used + bytes > this.limit) return false;
    if (reservation.held === 0 && bytes > 0) this.#holders += 1;
    this.#used += bytes;
    return true;
  }

  /** @internal How many bytes `reservation` could add now; unbounded while it is alone. */
  room(reservation: InFlightReservation): number {
    const alone = this.#holders === (reservation.held > 0 ? 1 : 0);
    return alone ? Number.POSITIVE_INFINITY : Math.max(0, this.limit - this.#used);
  }

  /** @internal */
  remove(bytes: number): void {
    this.#used -= bytes;
    this.#holders -= 1;
  }
}

export class InFlightReservation {
  #held = 0;
  #released = false;

  constructor(private readonly budget: InFlightBytes) {}

  get held(): number {
    return this.#held;
  }

  get limit(): number {
    return this.budget.limit;
  }

  /** Adds `bytes` to this request's share; false, adding nothing, when they do not fit. */
  tryGrow(bytes: number): boolean {
    if (this.#released || !this.budget.tryAdd(this, bytes)) return false;
    this.#held += bytes;
    return true;
  }

  /** How many more bytes would fit now. */
  room(): number {
    return this.budget.room(this);
  }

  /** Returns the bytes; safe to call more than once. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#held > 0) this.budget.remove(this.#held);
    this.#held = 0;
  }
}

/** Why a request was refused for the bytes in flight; the same words on both transports. */
export function inFlightLimitMessage(limitBytes: number): string {
  const mebibytes = Number((limitBytes / (1024 * 1024)).toFixed(1));
  return `the receiver is already holding its limit of ${mebibytes} MiB of requests in flight (admission.request_limit_mib); retry later`;
}
