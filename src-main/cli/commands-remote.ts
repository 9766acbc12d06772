import type { KernelClient, ProcessInfo } from '../../src-shared/index.js';
import { isTerminal } from '../../src-shared/index.js';
import { connectKernel, readConnectionFile } from '../server/index.js';
import { defaultDataDir } from '../settings.js';
import { EXIT, UsageError, formatDuration, table } from './cli-io.js';

export interface RemoteFlags {
  url?: string;
  token?: string;
  dataDir?: string;
}

/** Finds the running `amk serve`: --url/--token, AMK_URL/AMK_TOKEN, or the connection file it wrote. */
export async function connect(flags: RemoteFlags): Promise<KernelClient> {
  const url = flags.url ?? process.env.AMK_URL;
  const token = flags.token ?? process.env.AMK_TOKEN;
  if (url && token) return connectKernel(url, token);
  const dataDir = flags.dataDir ?? defaultDataDir();
  const info = readConnectionFile(dataDir);
  if (!info) {
    throw new Error(`no running kernel found (no ${dataDir}/serve.json): start one with \`amk serve\`, or pass --url and --token`);
  }
  return connectKernel(info.url, info.token);
}

export function parsePid(value: string | undefined): number {
  const pid = Number(value);
  if (!value || !Number.isInteger(pid) || pid < 1) throw new UsageError(`expected a PID (a positive integer), got "${value ?? ''}"`);
  return pid;
}

function processRows(processes: ProcessInfo[], now: number): string[][] {
  const header = ['PID', 'AGENT', 'STATE', 'CLASS', 'NI', 'SLOT', 'TOK/S', 'IN', 'OUT', 'STEPS', 'TOOLS', 'UPTIME'];
  const rows = processes.map((p) => [
    String(p.pid),
    p.agentId,
    p.state,
    p.priority.class,
    String(p.priority.nice),
    p.slot === null ? '-' : String(p.slot),
    p.counters.tokensPerSecond.toFixed(0),
    String(p.counters.tokensIn),
    String(p.counters.tokensOut),
    String(p.counters.steps),
    String(p.counters.toolCalls),
    formatDuration((p.exitedAt ?? now) - p.createdAt),
  ]);
  return [header, ...rows];
}

export async function ps(client: KernelClient, options: { all: boolean; json: boolean }): Promise<number> {
  const processes = (await client.call('proc.list', {})).filter((p) => options.all || !isTerminal(p.state));
  if (options.json) console.log(JSON.stringify(processes, null, 2));
  else console.log(table(processRows(processes, Date.now())));
  return EXIT.ok;
}

export async function top(client: KernelClient, options: { intervalMs: number; iterations: number }): Promise<number> {
  const info = await client.call('kernel.info', {});
  for (let i = 0; options.iterations === 0 || i < options.iterations; i++) {
    const processes = await client.call('proc.list', {});
    const live = processes.filter((p) => !isTerminal(p.state));
    const rate = live.reduce((sum, p) => sum + (p.state === 'running' ? p.counters.tokensPerSecond : 0), 0);
    const model = info.model ? `${info.model.name} on ${info.model.backend}` : `no model (${info.modelError ?? 'unknown'})`;
    const screen = [
      `amk top - ${new Date().toLocaleTimeString()}  model: ${model}  processes: ${live.length} live, ${processes.length} total  ${rate.toFixed(0)} tok/s`,
      '',
      table(processRows(live, Date.now())),
    ].join('\n');
    if (process.stdout.isTTY) process.stdout.write('\x1b[H\x1b[2J');
    console.log(screen);
    if (options.iterations !== 0 && i === options.iterations - 1) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  return EXIT.ok;
}

export function printProcess(info: ProcessInfo): void {
  const exit = info.exit ? ` (exit ${info.exit.code}: ${info.exit.reason})` : '';
  console.log(`${info.pid} ${info.agentId} ${info.state}${exit} class=${info.priority.class} nice=${info.priority.nice}`);
}

/** `amk irq list | bind AGENT [trigger] | unbind ID | raise TEXT` */
export async function interrupts(
  client: KernelClient,
  [action, argument]: string[],
  flags: { every?: string; cron?: string; folder?: string; route?: string },
): Promise<number> {
  switch (action) {
    case 'list':
    case undefined: {
      const rows = [['ID', 'AGENT', 'TRIGGER', 'RAISED', 'DISPATCHED', 'COALESCED', 'PENDING']];
      for (const { binding, stats } of await client.call('interrupts.list', {})) {
        const { source, ...rest } = binding.trigger;
        rows.push([binding.id, binding.agentId, `${source} ${JSON.stringify(rest)}`, ...[stats.raised, stats.dispatched, stats.coalesced, stats.pending].map(String)]);
      }
      console.log(table(rows));
      return EXIT.ok;
    }
    case 'bind': {
      if (!argument) throw new UsageError('usage: amk irq bind AGENT [--every MS | --cron EXPR | --folder PATH | --route NAME]');
      const trigger = flags.every
        ? { source: 'timer' as const, everyMs: Number(flags.every) }
        : flags.cron
          ? { source: 'timer' as const, cron: flags.cron }
          : flags.folder
            ? { source: 'folder' as const, path: flags.folder }
            : flags.route
              ? { source: 'webhook' as const, route: flags.route }
              : undefined;
      const binding = await client.call('interrupts.bind', { agent: argument, ...(trigger ? { trigger } : {}) });
      console.log(`${binding.id} ${binding.agentId} ${JSON.stringify(binding.trigger)}`);
      return EXIT.ok;
    }
    case 'unbind':
      if (!argument) throw new UsageError('usage: amk irq unbind ID');
      await client.call('interrupts.unbind', { bindingId: argument });
      return EXIT.ok;
    case 'raise': {
      if (!argument) throw new UsageError('usage: amk irq raise "text"');
      const result = await client.call('interrupts.raise', { source: 'user-input', text: argument });
      console.log(`dispatched to ${result.dispatched.join(', ') || 'no handler'}; coalesced ${result.coalesced}`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown irq action "${action}" (list, bind, unbind, raise)`);
  }
}
