import { parseArgs } from 'node:util';
import type { KernelClient } from '../../src-shared/index.js';
import { KernelCallError, PriorityClass } from '../../src-shared/index.js';
import { KernelError } from '../kernel/index.js';
import { EXIT, UsageError } from './cli-io.js';
import { checkCommandFlags } from './command-flags.js';
import { models, readAgentArgument, run, serve } from './commands-local.js';
import { audit, connect, grants, interrupts, parsePid, printProcess, ps, top } from './commands-remote.js';
import { mcpServers, mcpStdio } from '../mcp/mcp-command.js';
import { mcpTokens } from '../mcp/mcp-tokens-command.js';
import { tools } from './commands-tools.js';
import { cores } from './commands-cores.js';

const USAGE = `amk: the Agentic Microkernel

usage:
  amk serve [--port N] [--model PATH] [--gpu auto|cpu|cuda|vulkan|metal] [--threads N] [--slots N] [--context N]
            [--quantum TOKENS] [--swap ram|disk] [--kv f16|q8_0|q4_0] [--gpu-layers auto|N]
            [--embedding-model PATH] [--data-dir DIR] [--no-resume]
                                        --no-resume: processes recovered from the journal wait suspended
                                        (also AMK_NO_RESUME=1, or "resumeOnBoot": false in config.json)
  amk models list | download ID | import FILE.gguf | delete FILE | use FILE
                                        the models folder of the data directory
  amk run <gallery-id | manifest.json> --task "..." [--model PATH] [--gpu ...] [--threads N] [--grant CAPABILITY ...] [--json]
  amk ps [--all] [--json]          list processes of the running kernel
  amk top [--interval MS] [--once]  live view of the running kernel
  amk kill PID | suspend PID | resume PID | wait PID
  amk reap [PID ...]               clear finished processes from the table (all of them without PIDs)
  amk renice PID N [--class realtime|interactive|normal|background|idle]
  amk spawn <gallery-id | manifest.json> --task "..."
  amk input PID "text"             a message to an interactive agent (runs at interrupt priority)
  amk irq list | unbind ID | bind AGENT [--every MS | --cron "m h dom mon dow" | --folder PATH | --route NAME]
  amk irq raise "text"             a user-input interrupt for the handlers bound to it
  amk grants list | pending | approve ID [--scope once|session|always] | deny ID | revoke ID | watch
  amk grants add AGENT CAPABILITY [--tool TOOL] [--scope ...]   e.g. net:api.example.com, fs:read:/home/me/docs
  amk audit [--pid N] [--agent ID] [--denied] [--verify] [--json]
  amk gallery | amk info
  amk tools list | remove NAME     tools: built-in, installed and MCP servers'
  amk tools install PATH|URL [--allow-unsigned] [--yes]   a package (folder, .tar.gz, .zip; https): shows its review
                                   (publisher, signature, sha256, what it can ask for, limits, host functions), asks, installs
  amk tools trust KEYFILE [--publisher NAME] | keys | untrust ID   publisher keys you trust (PEM ed25519 or base64 raw)
  amk tools keygen OUT | sign DIR --key OUT.key [--publisher NAME]   for publishers: a key pair, DIR/plugin.sig
  amk mcp [--token-env VAR] [--data-dir DIR] [--model PATH ...]   the kernel as an MCP server on stdio: relays to a
                                   running kernel (amk serve, the app) or boots one; HTTP: POST {url}/mcp, Authorization: Bearer TOKEN.
                                   It runs as the client of the token in AMK_MCP_TOKEN (or VAR), else as the administrator's client
  amk mcp token NAME               a token for one MCP client (printed once, last line): its sessions run as mcp-client-NAME
  amk mcp tokens [list] | revoke NAME   MCP client tokens: name, created, last used (never the secret)
  amk mcp-servers list | remove NAME | add NAME --command "CMD ARGS" [--env K=V ...] | --url URL  [--timeout MS] [--yes]
                                   external MCP servers; their tools reach agents as mcp__NAME__TOOL, behind mcp:NAME/TOOL grants;
                                   adding one is asked in the UI or \`amk grants watch\`, unless --yes approves it here.
                                   A --command server runs outside the Wasm sandbox, with your rights; on Linux with bubblewrap
                                   it is confined (no home folder, no network): [--allow-network] [--allow-folder DIR ...] widen it
  amk cores list | remove NAME | add NAME URL [--kind llama-server|openai] [--token-env VAR] [--model ID]
                                   where inference runs: the local model and remote engines (llama.cpp's llama-server,
                                   or any OpenAI-compatible one); agents run on any core that serves the loaded model.
                                   The token is read from VAR by the kernel, never stored; the list says what each core can do

The model comes from --model, AMK_MODEL, <data dir>/config.json, or <data dir>/models/*.gguf.
Remote commands find \`amk serve\` through <data dir>/serve.json, or --url and --token (AMK_URL, AMK_TOKEN).
Exit codes: 0 ok, 1 failed, 2 usage, 3 no kernel to talk to.`;

const OPTIONS = {
  task: { type: 'string' },
  model: { type: 'string' },
  gpu: { type: 'string' },
  threads: { type: 'string' },
  slots: { type: 'string' },
  context: { type: 'string' },
  quantum: { type: 'string' },
  kv: { type: 'string' },
  'embedding-model': { type: 'string' },
  'gpu-layers': { type: 'string' },
  swap: { type: 'string' },
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  class: { type: 'string' },
  interval: { type: 'string' },
  every: { type: 'string' },
  cron: { type: 'string' },
  folder: { type: 'string' },
  route: { type: 'string' },
  grant: { type: 'string', multiple: true },
  scope: { type: 'string' },
  tool: { type: 'string' },
  command: { type: 'string' },
  env: { type: 'string', multiple: true },
  'allow-network': { type: 'boolean' },
  'allow-folder': { type: 'string', multiple: true },
  timeout: { type: 'string' },
  'token-env': { type: 'string' },
  kind: { type: 'string' },
  yes: { type: 'boolean' },
  'allow-unsigned': { type: 'boolean' },
  key: { type: 'string' },
  publisher: { type: 'string' },
  pid: { type: 'string' },
  agent: { type: 'string' },
  denied: { type: 'boolean' },
  'no-resume': { type: 'boolean' },
  verify: { type: 'boolean' },
  once: { type: 'boolean' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function withClient(values: { url?: string; token?: string; 'data-dir'?: string }, work: (client: KernelClient) => Promise<number>): Promise<number> {
  let client: KernelClient;
  try {
    client = await connect({
      ...(values.url ? { url: values.url } : {}),
      ...(values.token ? { token: values.token } : {}),
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    });
  } catch (error) {
    console.error(`amk: ${(error as Error).message}`);
    return EXIT.unreachable;
  }
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/**
 * parseArgs reads `-5` as an unknown short option; no flag of amk is a digit, so a negative
 * number (`amk renice 14 -5`) is a value. It is hidden from parseArgs and put back after.
 */
function parseCommandLine(argv: string[]) {
  const hidden = (text: string): string => `\u0000${text}`;
  const shown = (text: string): string => (text.startsWith('\u0000') ? text.slice(1) : text);
  const parsed = parseArgs({ args: argv.map((arg) => (/^-\d+$/.test(arg) ? hidden(arg) : arg)), options: OPTIONS, allowPositionals: true, strict: true });
  const values = Object.fromEntries(
    Object.entries(parsed.values).map(([key, value]) => [key, typeof value === 'string' ? shown(value) : Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? shown(v) : v)) : value]),
  ) as typeof parsed.values;
  return { values, positionals: parsed.positionals.map(shown) };
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  checkCommandFlags(command, rest, Object.keys(values));
  const settings = {
    ...(values.model ? { model: values.model } : {}),
    ...(values.gpu ? { gpu: values.gpu } : {}),
    ...(values.threads ? { threads: values.threads } : {}),
    ...(values.slots ? { slots: values.slots } : {}),
    ...(values.context ? { context: values.context } : {}),
    ...(values.quantum ? { quantum: values.quantum } : {}),
    ...(values.kv ? { kv: values.kv } : {}),
    ...(values['embedding-model'] ? { embeddingModel: values['embedding-model'] } : {}),
    ...(values['gpu-layers'] ? { gpuLayers: values['gpu-layers'] } : {}),
    ...(values.swap ? { swap: values.swap } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  };
  switch (command) {
    case 'serve':
      return serve({ ...settings, ...(values.port ? { port: values.port } : {}), ...(values.host ? { host: values.host } : {}), ...(values['no-resume'] ? { noResume: true } : {}) });
    case 'run':
      if (!rest[0] || !values.task) throw new UsageError('usage: amk run <gallery-id | manifest.json> --task "..."');
      return run(rest[0], values.task, { ...settings, ...(values.json ? { json: true } : {}), grants: values.grant ?? [] });
    case 'ps':
      return withClient(values, (client) => ps(client, { all: values.all ?? false, json: values.json ?? false }));
    case 'top': {
      const intervalMs = values.interval ? Number(values.interval) : 1000;
      if (!Number.isInteger(intervalMs) || intervalMs < 100) throw new UsageError('--interval must be at least 100 ms');
      return withClient(values, (client) => top(client, { intervalMs, iterations: values.once ? 1 : 0 }));
    }
    case 'reap': {
      const pids = rest.map((value) => parsePid(value));
      return withClient(values, async (client) => {
        const { reaped } = await client.call('proc.reap', pids.length > 0 ? { pids } : {});
        console.log(reaped.length === 0 ? 'nothing to clear' : `cleared ${reaped.join(' ')}`);
        return EXIT.ok;
      });
    }
    case 'kill':
    case 'suspend':
    case 'resume':
    case 'wait': {
      const pid = parsePid(rest[0]);
      const method = command === 'kill' ? 'proc.kill' : command === 'suspend' ? 'proc.suspend' : command === 'resume' ? 'proc.resume' : 'proc.wait';
      return withClient(values, async (client) => {
        const info = await client.call(method, { pid });
        printProcess(info);
        return command === 'wait' && info.exit?.code !== 0 ? EXIT.failed : EXIT.ok;
      });
    }
    case 'renice': {
      const pid = parsePid(rest[0]);
      const nice = rest[1] === undefined ? undefined : Number(rest[1]);
      if (nice !== undefined && (!Number.isInteger(nice) || nice < -20 || nice > 19)) throw new UsageError(`nice must be an integer from -20 to 19, got "${rest[1]}"`);
      const priorityClass = values.class === undefined ? undefined : PriorityClass.safeParse(values.class);
      if (priorityClass && !priorityClass.success) throw new UsageError(`--class must be one of ${PriorityClass.options.join(', ')}`);
      if (nice === undefined && !priorityClass) throw new UsageError('usage: amk renice PID N [--class CLASS]');
      return withClient(values, async (client) => {
        printProcess(await client.call('proc.renice', { pid, ...(nice === undefined ? {} : { nice }), ...(priorityClass?.success ? { class: priorityClass.data } : {}) }));
        return EXIT.ok;
      });
    }
    case 'spawn':
      if (!rest[0] || !values.task) throw new UsageError('usage: amk spawn <gallery-id> --task "..."');
      return withClient(values, async (client) => {
        printProcess(await client.call('proc.spawn', { agent: readAgentArgument(rest[0]!), task: values.task! }));
        return EXIT.ok;
      });
    case 'input': {
      const pid = parsePid(rest[0]);
      if (!rest[1]) throw new UsageError('usage: amk input PID "text"');
      return withClient(values, async (client) => {
        printProcess(await client.call('proc.input', { pid, text: rest[1]! }));
        return EXIT.ok;
      });
    }
    case 'irq':
      return withClient(values, (client) => interrupts(client, rest, values));
    case 'models':
      return models(rest, values['data-dir']);
    case 'mcp':
      if (rest[0] === 'token' || rest[0] === 'tokens') return withClient(values, (client) => mcpTokens(client, rest, { json: values.json ?? false }));
      if (rest.length > 0) throw new UsageError(`unknown mcp command "${rest[0]}" (amk mcp, amk mcp token NAME, amk mcp tokens)`);
      return mcpStdio({
        ...settings,
        ...(values.url ? { url: values.url } : {}),
        ...(values.token ? { token: values.token } : {}),
        ...(values['token-env'] ? { tokenEnv: values['token-env'] } : {}),
      });
    case 'mcp-servers':
      // Here --url is the MCP server's; the kernel is found through serve.json or AMK_URL / AMK_TOKEN.
      return withClient({ ...values, url: undefined }, (client) =>
        mcpServers(client, rest, {
          ...(values.command === undefined ? {} : { command: values.command }),
          ...(values.url ? { url: values.url } : {}),
          ...(values.env ? { env: values.env } : {}),
          ...(values['allow-folder'] ? { allowFolder: values['allow-folder'] } : {}),
          allowNetwork: values['allow-network'] ?? false,
          ...(values.timeout ? { timeout: values.timeout } : {}),
          yes: values.yes ?? false,
          json: values.json ?? false,
        }),
      );
    case 'cores':
      return withClient(values, (client) =>
        cores(client, rest, {
          ...(values.kind ? { kind: values.kind } : {}),
          ...(values['token-env'] ? { tokenEnv: values['token-env'] } : {}),
          ...(values.model ? { model: values.model } : {}),
          json: values.json ?? false,
        }),
      );
    case 'tools':
      return tools(
        rest,
        {
          allowUnsigned: values['allow-unsigned'] ?? false,
          yes: values.yes ?? false,
          json: values.json ?? false,
          ...(values.key ? { key: values.key } : {}),
          ...(values.publisher ? { publisher: values.publisher } : {}),
        },
        (work) => withClient(values, work),
      );
    case 'grants':
      return withClient(values, (client) =>
        grants(client, rest, { ...(values.scope ? { scope: values.scope } : {}), ...(values.tool ? { tool: values.tool } : {}) }),
      );
    case 'audit':
      return withClient(values, (client) =>
        audit(client, {
          ...(values.pid ? { pid: values.pid } : {}),
          ...(values.agent ? { agent: values.agent } : {}),
          denied: values.denied ?? false,
          verify: values.verify ?? false,
          json: values.json ?? false,
        }),
      );
    case 'gallery':
      return withClient(values, async (client) => {
        for (const agent of await client.call('gallery.list', {})) console.log(`${agent.icon} ${agent.id.padEnd(20)} ${agent.kind.padEnd(12)} ${agent.description}`);
        return EXIT.ok;
      });
    case 'info':
      return withClient(values, async (client) => {
        console.log(JSON.stringify(await client.call('kernel.info', {}), null, 2));
        return EXIT.ok;
      });
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

/** One funnel for errors: a line a person can act on, and the right exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    if (error instanceof UsageError || String((error as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`amk: ${(error as Error).message}`);
      return EXIT.usage;
    }
    if (error instanceof KernelCallError || error instanceof KernelError) {
      console.error(`amk: ${error.code}: ${error.message}`);
      return EXIT.failed;
    }
    console.error(`amk: ${(error as Error).message}`);
    return EXIT.failed;
  }
}
