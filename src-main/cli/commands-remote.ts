import type { KernelClient, ProcessInfo } from '../../src-shared/index.js';
import { isTerminal } from '../../src-shared/index.js';
import { connectKernel, describeMissingKernel, inspectConnectionFile } from '../server/index.js';
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
  const found = inspectConnectionFile(dataDir);
  if (found.state !== 'running') throw new Error(`${describeMissingKernel(found)}: start one with \`amk serve\`, or pass --url and --token`);
  return connectKernel(found.info.url, found.info.token);
}

export function parsePid(value: string | undefined): number {
  const pid = Number(value);
  if (!value || !Number.isInteger(pid) || pid < 1) throw new UsageError(`expected a PID (a positive integer), got "${value ?? ''}"`);
  return pid;
}

function processRows(processes: ProcessInfo[], now: number): string[][] {
  const header = ['PID', 'AGENT', 'STATE', 'CLASS', 'NI', 'SLOT', 'CORE', 'TOK/S', 'IN', 'OUT', 'STEPS', 'TOOLS', 'UPTIME'];
  const rows = processes.map((p) => [
    String(p.pid),
    p.agentId,
    p.state,
    p.priority.class,
    String(p.priority.nice),
    p.slot === null ? '-' : String(p.slot),
    // Narrow: a core name is up to 64 characters; 12 tell them apart.
    p.core === null ? '-' : p.core.slice(0, 12),
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

/** `amk grants list | pending | approve ID [--scope S] | deny ID | add AGENT CAPABILITY [--tool T] [--scope S] | revoke ID | watch` */
export async function grants(client: KernelClient, [action, first, second]: string[], flags: { scope?: string; tool?: string }): Promise<number> {
  const scope = (flags.scope ?? 'session') as 'once' | 'session' | 'always';
  if (!['once', 'session', 'always'].includes(scope)) throw new UsageError('--scope must be once, session or always');
  switch (action) {
    case 'list':
    case undefined: {
      const rows = [['ID', 'AGENT', 'TOOL', 'CAPABILITY', 'SCOPE', 'USES', 'GRANTED']];
      for (const g of await client.call('grants.list', {})) rows.push([g.id, g.agentId, g.tool, g.capability, g.effect === 'deny' ? `deny ${g.scope}` : g.scope, String(g.uses), new Date(g.grantedAt).toLocaleString()]);
      console.log(table(rows));
      return EXIT.ok;
    }
    case 'pending': {
      const rows = [['ID', 'PID', 'AGENT', 'TOOL', 'CAPABILITY', 'RISK', 'COUNT', 'EXPIRES']];
      for (const r of await client.call('grants.pending', {})) {
        rows.push([r.id, String(r.pid), r.agentId, r.tool, r.capability, r.risk, String(r.count), `${Math.max(0, Math.round((r.expiresAt - Date.now()) / 1000))}s`]);
      }
      console.log(table(rows));
      return EXIT.ok;
    }
    case 'approve':
    case 'deny': {
      if (!first) throw new UsageError(`usage: amk grants ${action} REQUEST-ID`);
      const decision = action === 'deny' ? 'deny' : scope === 'once' ? 'allow-once' : scope === 'always' ? 'allow-always' : 'allow-session';
      const request = await client.call('grants.decide', { requestId: first, decision });
      console.log(`${decision}: ${request.agentId} ${request.tool} ${request.capability}`);
      return EXIT.ok;
    }
    case 'add': {
      if (!first || !second) throw new UsageError('usage: amk grants add AGENT CAPABILITY [--tool TOOL] [--scope once|session|always]');
      const grant = await client.call('grants.add', { agentId: first, capability: second, tool: flags.tool ?? '*', scope });
      console.log(`${grant.id} ${grant.agentId} ${grant.tool} ${grant.capability} ${grant.scope}`);
      return EXIT.ok;
    }
    case 'revoke':
      if (!first) throw new UsageError('usage: amk grants revoke GRANT-ID');
      await client.call('grants.revoke', { grantId: first });
      return EXIT.ok;
    case 'watch':
      return watchGrants(client);
    default:
      throw new UsageError(`unknown grants action "${action}" (list, pending, approve, deny, add, revoke, watch)`);
  }
}

/** Answers grant requests at the terminal: this connection becomes an approver until Ctrl-C. */
async function watchGrants(client: KernelClient): Promise<number> {
  const { createInterface } = await import('node:readline/promises');
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  await client.call('grants.attach', {});
  const queue: string[] = [];
  let busy = false;
  const next = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    while (queue.length > 0) {
      const id = queue.shift()!;
      const request = (await client.call('grants.pending', {})).find((r) => r.id === id);
      if (!request) continue;
      const answer = (await terminal.question(`${request.agentName} (pid ${request.pid}) wants ${request.tool} to ${request.summary} [${request.risk} risk]\n  args: ${request.args}\n  allow (o)nce, (s)ession, (a)lways, or (d)eny? `)).trim().toLowerCase();
      const decision = answer.startsWith('o') ? 'allow-once' : answer.startsWith('s') ? 'allow-session' : answer.startsWith('a') ? 'allow-always' : 'deny';
      await client.call('grants.decide', { requestId: id, decision }).catch((error: Error) => console.error(`  ${error.message}`));
    }
    busy = false;
  };
  client.subscribe((event) => {
    if (event.type === 'grant.requested' && event.request.count === 1) {
      queue.push(event.request.id);
      void next();
    }
  });
  console.log('watching for grant requests (Ctrl-C to stop)');
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
  terminal.close();
  return EXIT.ok;
}

/** `amk audit [--pid N] [--agent ID] [--denied] [--verify]` */
export async function audit(client: KernelClient, flags: { pid?: string; agent?: string; denied?: boolean; verify?: boolean; json?: boolean }): Promise<number> {
  if (flags.verify) {
    const result = await client.call('audit.verify', {});
    // The kernel streams the file and checks every record's HMAC, the chain, and the head against its anchor.
    if (result.ok) console.log(`audit log intact: ${result.records} records, chained and anchored under the kernel key`);
    else console.log(`audit log BROKEN after ${result.records} good records: ${result.problem}\nthe kernel sets it aside and starts a new chain at its next start`);
    return result.ok ? EXIT.ok : EXIT.failed;
  }
  const records = await client.call('audit.query', {
    ...(flags.pid ? { pid: parsePid(flags.pid) } : {}),
    ...(flags.agent ? { agentId: flags.agent } : {}),
    ...(flags.denied ? { outcome: 'denied' as const } : {}),
  });
  if (flags.json) console.log(JSON.stringify(records, null, 2));
  else {
    const rows = [['SEQ', 'TIME', 'PID', 'AGENT', 'KIND', 'NAME', 'CAPABILITY', 'OUTCOME', 'REASON']];
    for (const r of records) rows.push([String(r.seq), new Date(r.at).toLocaleTimeString(), String(r.pid ?? '-'), r.agentId ?? '-', r.kind, r.name, r.capability ?? '-', r.outcome, r.reason.slice(0, 80)]);
    console.log(table(rows));
  }
  return EXIT.ok;
}
