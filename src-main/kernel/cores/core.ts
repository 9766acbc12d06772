import type { CoreCapabilities, CoreHealth, CoreKind } from '../../../src-shared/index.js';
import type { Disposable } from '../core/disposable.js';
import type { LlmBackend, LlmSlot } from '../llm/index.js';

/**
 * A remote engine the kernel schedules agents onto: its slots behind the `LlmSlot` interface, plus
 * what the pool needs to watch it. Tokenizing, chat templates and grammar compiling stay with the
 * kernel's loaded model, so a core is used only when it serves that same model (checked by
 * `probe`); an OpenAI-compatible core takes text, so it may serve another.
 */
export interface RemoteCore extends Disposable {
  readonly name: string;
  readonly kind: Exclude<CoreKind, 'local'>;
  /** The base URL, without credentials. */
  readonly url: string;
  readonly tokenEnv: string | null;
  readonly capabilities: CoreCapabilities;
  health: CoreHealth;
  reason: string | null;
  latencyMs: number | null;
  /** The model the engine says it serves. */
  model: string | null;
  /** Its slots, each with a pool-wide index (set by the last successful probe). */
  readonly slots: readonly LlmSlot[];
  /**
   * Checks the engine (health, properties, model) against the loaded model. Throws a `CoreFault`
   * when it does not answer properly; returns why it cannot serve this model, or null when it can.
   * `allocate` gives pool-wide slot indices when the core (re)creates its slots.
   */
  probe(llm: LlmBackend, allocate: () => number): Promise<string | null>;
  /** Ends every request in flight (the core was marked down or removed): each fails with a `CoreFault`. */
  abortAll(reason: string): void;
}

/** Called by a core's slot when a request shows the core itself is at fault. */
export type FaultReporter = (reason: string) => void;

