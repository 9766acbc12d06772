import type { CoreInfo, KernelClient } from '../../src-shared/index.js';
import { EXIT, UsageError, table } from './cli-io.js';

const USAGE = 'usage: amk cores list | add NAME URL [--kind llama-server|openai] [--token-env VAR] [--model ID] | remove NAME';

/** What a core cannot do, in words: a remote engine's limits are the user's to know. */
function limits(core: CoreInfo): string {
  const missing = [
    core.capabilities.kvSaveRestore ? null : 'no KV save/restore (re-prefills)',
    core.capabilities.slotPinning ? null : 'no slot pinning',
    core.capabilities.grammar ? null : 'no output grammar',
  ].filter((text): text is string => text !== null);
  return missing.length === 0 ? 'full' : missing.join(', ');
}

/** `amk cores list | add NAME URL [--kind K] [--token-env VAR] [--model ID] | remove NAME` */
export async function cores(
  client: KernelClient,
  [action, name, url]: string[],
  flags: { kind?: string; tokenEnv?: string; model?: string; json: boolean },
): Promise<number> {
  switch (action) {
    case 'list':
    case undefined: {
      const all = await client.call('cores.list', {});
      if (flags.json) {
        console.log(JSON.stringify(all, null, 2));
        return EXIT.ok;
      }
      const rows = [['NAME', 'KIND', 'HEALTH', 'MODEL', 'SLOTS', 'BUSY', 'QUEUED', 'LATENCY', 'CAN', 'URL']];
      for (const core of all) {
        rows.push([
          core.name,
          core.kind,
          core.reason ? `${core.health} (${core.reason})` : core.health,
          core.model ?? '-',
          String(core.slots),
          String(core.busySlots),
          String(core.queued),
          core.latencyMs === null ? '-' : `${Math.round(core.latencyMs)} ms`,
          limits(core),
          core.url ?? '-',
        ]);
      }
      console.log(table(rows));
      return EXIT.ok;
    }
    case 'add': {
      if (!name || !url) throw new UsageError(USAGE);
      const kind = flags.kind ?? 'llama-server';
      if (kind !== 'llama-server' && kind !== 'openai') throw new UsageError(`--kind must be llama-server or openai, got "${kind}"`);
      const core = await client.call('cores.add', {
        name,
        kind,
        url,
        ...(flags.tokenEnv ? { tokenEnv: flags.tokenEnv } : {}),
        ...(flags.model ? { model: flags.model } : {}),
      });
      console.log(`core ${core.name}: ${core.health}${core.reason ? ` (${core.reason})` : ''}, ${core.slots} slot(s), model ${core.model ?? 'unknown'}`);
      return core.health === 'up' ? EXIT.ok : EXIT.failed;
    }
    case 'remove':
      if (!name) throw new UsageError(USAGE);
      await client.call('cores.remove', { name });
      console.log(`removed core ${name}`);
      return EXIT.ok;
    default:
      throw new UsageError(`unknown cores command "${action}"\n${USAGE}`);
  }
}
