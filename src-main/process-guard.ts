/**
 * The last-resort handlers of the long-running processes (`amk serve`, `amk mcp`, the desktop
 * app's main process). A safety net under the error handling every boundary has of its own,
 * never the way an attack is refused: what reaches it is a bug, logged with a prefix to look for.
 *
 * - An unhandled promise rejection is logged, the journal is synced, and the process keeps serving:
 *   one forgotten `.catch` must not stop every agent.
 * - An uncaught exception is logged, the journal is synced, and the process exits (code 70,
 *   EX_SOFTWARE): after a throw nobody caught, its state cannot be trusted (Node's own advice), and
 *   the journal lets the next start resume every agent.
 */

export const LAST_RESORT_PREFIX = 'amk last resort';

interface Guard {
  name: string;
  flush: (() => void) | null;
}

let guard: Guard | null = null;

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  try {
    return typeof reason === 'string' ? reason : JSON.stringify(reason);
  } catch {
    return String(reason);
  }
}

/** Syncs the journal if there is one; a failure here is logged, never thrown from a handler. */
function flush(current: Guard): void {
  if (!current.flush) return;
  try {
    current.flush();
    console.error(`${LAST_RESORT_PREFIX} [${current.name}]: journal flushed`);
  } catch (error) {
    console.error(`${LAST_RESORT_PREFIX} [${current.name}]: the journal could not be flushed: ${describe(error)}`);
  }
}

/**
 * Installs the handlers once per process; a later call renames the process or gives it its
 * journal's flush (the kernel boots after the handlers go in). Logs go to stderr, which
 * `amk mcp` keeps free of its protocol.
 */
export function installLastResort(name: string, flushJournal?: () => void): void {
  if (guard) {
    guard.name = name;
    if (flushJournal) guard.flush = flushJournal;
    return;
  }
  const current: Guard = { name, flush: flushJournal ?? null };
  guard = current;
  process.on('unhandledRejection', (reason) => {
    console.error(`${LAST_RESORT_PREFIX} [${current.name}]: unhandled promise rejection (a bug; still serving): ${describe(reason)}`);
    flush(current);
  });
  process.on('uncaughtException', (error, origin) => {
    console.error(`${LAST_RESORT_PREFIX} [${current.name}]: uncaught exception (${origin}; a bug; exiting): ${describe(error)}`);
    flush(current);
    process.exit(70);
  });
}
