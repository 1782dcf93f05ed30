export type ServiceState = 'starting' | 'running' | 'stopping' | 'stopped';

/** What the health check reports: the service's state and since when it has been running. */
export class ServiceStatus {
  #state: ServiceState = 'starting';
  #runningSince: Date | undefined;
  /** Extensions that can veto readiness (`Extension.ready`). */
  readonly readinessChecks: (() => boolean)[] = [];

  get state(): ServiceState {
    return this.#state;
  }

  get runningSince(): Date | undefined {
    return this.#runningSince;
  }

  set(state: ServiceState): void {
    this.#state = state;
    this.#runningSince = state === 'running' ? new Date() : undefined;
  }

  isReady(): boolean {
    if (this.#state !== 'running') return false;
    return this.readinessChecks.every((check) => {
      try {
        return check();
      } catch {
        return false;
      }
    });
  }
}
