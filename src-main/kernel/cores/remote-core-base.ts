import type { CoreHealth } from '../../../src-shared/index.js';
import type { LlmBackend } from '../llm/index.js';
import type { FaultReporter } from './core.js';
import { InFlightRequests, type RemoteTarget, type TrackedRequest } from './remote-http.js';

/**
 * What every remote core keeps alike: its name and address, the health the pool shows, the loaded
 * model it was checked against (it tokenizes for the engine), and its requests in flight, which
 * marking the core down or removing it ends at once.
 */
export abstract class RemoteCoreBase {
  health: CoreHealth = 'starting';
  reason: string | null = null;
  latencyMs: number | null = null;
  /** The loaded model the core was last checked against: it tokenizes the engine's text. */
  llm: LlmBackend | null = null;
  private readonly inFlight = new InFlightRequests(() => this.name);

  constructor(
    readonly name: string,
    readonly url: string,
    readonly tokenEnv: string | null,
    readonly target: RemoteTarget,
    readonly reportFault: FaultReporter,
  ) {}

  track(signal: AbortSignal | undefined): TrackedRequest {
    return this.inFlight.track(signal);
  }

  abortAll(reason: string): void {
    this.inFlight.abortAll(reason);
  }

  dispose(): void {
    this.abortAll('removed');
  }
}
