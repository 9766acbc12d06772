import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Native MCP servers run outside the Wasm sandbox, with the user's rights. On Linux, where
 * bubblewrap works, each stdio server runs confined instead: the system read-only, no home
 * folder, no kernel data folder, a private /tmp, its own network namespace (no network) unless
 * the user allowed network when registering it. Elsewhere it runs as before, with a warning.
 */
export type OsSandbox = { kind: 'bubblewrap'; bwrap: string } | { kind: 'none'; warning: string };

/** What the user allowed one server when registering it. */
export interface ConfinedServer {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  network: boolean;
  folders: string[];
}

/** The process the kernel starts instead of the server's command: bwrap, around it. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

const INSTALL_HINT = 'install bubblewrap (apt install bubblewrap, dnf install bubblewrap) to confine them';
const PROBE_MS = 5_000;
/** The system, read-only; everything else (home folders, /var, /run, /mnt, /media, /srv) is absent. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt', '/nix'];
/** Variables the MCP SDK passes on by default that a confined server has no use for. */
const DROPPED_DEFAULTS = ['LOGNAME', 'SHELL', 'TERM', 'USER'];

function findOnPath(name: string, path: string | undefined): string | null {
  for (const directory of (path ?? '').split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here: the next directory of PATH.
    }
  }
  return null;
}

/** The mounts every confined server gets, before its own folders. */
function systemMounts(): string[] {
  const args: string[] = [];
  for (const directory of SYSTEM_DIRS) {
    if (!existsSync(directory)) continue;
    // Merged-/usr systems link /bin to usr/bin: the same link inside, not a second copy.
    if (lstatSync(directory).isSymbolicLink()) args.push('--symlink', readlinkSync(directory), directory);
    else args.push('--ro-bind', directory, directory);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp');
  return args;
}

const probes = new Map<string, Promise<OsSandbox>>();

/**
 * Whether bubblewrap can confine servers here: tried once per path (a container without user
 * namespaces has bwrap installed but cannot use it), with the mounts a real start uses.
 * `bwrapPath` is the setting (AMK_BWRAP, `bwrapPath` in config.json); unset, bwrap is looked up on PATH.
 */
export function probeOsSandbox(bwrapPath: string | undefined, platform: NodeJS.Platform = process.platform): Promise<OsSandbox> {
  if (platform !== 'linux') {
    return Promise.resolve({ kind: 'none', warning: `native MCP servers run unconfined, with your rights: there is no OS sandbox for them on ${platform}` });
  }
  const bwrap = bwrapPath ?? findOnPath('bwrap', process.env.PATH);
  if (!bwrap) return Promise.resolve({ kind: 'none', warning: `native MCP servers run unconfined, with your rights: bubblewrap (bwrap) is not installed; ${INSTALL_HINT}` });
  let probe = probes.get(bwrap);
  if (!probe) {
    probe = new Promise<OsSandbox>((done) => {
      const args = ['--unshare-all', '--die-with-parent', '--new-session', ...systemMounts(), '--chdir', '/tmp', '--', 'true'];
      const child = execFile(bwrap, args, { timeout: PROBE_MS, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (error, _stdout, stderr) => {
        if (!error) return done({ kind: 'bubblewrap', bwrap });
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        const why = missing ? `${bwrap} does not exist` : `${bwrap} cannot create a sandbox here (${(String(stderr).trim() || error.message).slice(0, 300)})`;
        done({ kind: 'none', warning: `native MCP servers run unconfined, with your rights: ${why}; ${missing ? INSTALL_HINT : 'it needs unprivileged user namespaces'}` });
      });
      child.on('error', () => {}); // reported through the callback
    });
    probes.set(bwrap, probe);
  }
  return probe;
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function depth(path: string): number {
  return path.split(sep).filter(Boolean).length;
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * Where the command is installed, when that is outside the system folders (a Node from nvm, a
 * tool in ~/.local): its folder above `bin/`, read-only, so the command can start at all.
 */
function commandInstall(command: string, cwd: string | undefined, path: string | undefined, hidden: readonly string[]): string | null {
  const found = command.includes('/') ? resolve(cwd ?? process.cwd(), command) : findOnPath(command, path);
  if (!found || !existsSync(found)) return null;
  const real = realOrResolved(found);
  if (SYSTEM_DIRS.some((directory) => within(real, realOrResolved(directory)))) return null;
  const folder = dirname(real);
  const prefix = basename(folder) === 'bin' ? dirname(folder) : folder;
  // ~/bin/tool: its folder, not the home folder above it.
  return [prefix, folder, real].find((candidate) => candidate !== sep && !hidden.some((path) => within(path, candidate))) ?? null;
}

/**
 * The bwrap command line for one server. Folders are mounted at their real paths (a symbolic link
 * cannot smuggle the home folder in under another name), shallowest first, and the hidden folders
 * (home, /root, the data folder) are covered with an empty tmpfs after any mount that contains
 * them, so a named folder never reveals them; a folder inside home that the user named stays visible.
 * Environment values travel in the environment, not on bwrap's command line, which other processes can read.
 */
export function confinedLaunch(bwrap: string, server: ConfinedServer, dataDir: string, env: NodeJS.ProcessEnv = process.env): Launch {
  const home = realOrResolved(homedir());
  const hidden = [...new Set([home, realOrResolved('/root'), realOrResolved(dataDir)])];
  const cwd = server.cwd ? realOrResolved(server.cwd) : null;
  const mounts: { path: string; args: string[] }[] = [];
  // The root itself is never mounted over the sandbox's own: it would bring back /tmp, /run and the rest.
  const bind = (flag: string, path: string): void => void (path !== sep && mounts.push({ path, args: [flag, path, path] }));
  const install = commandInstall(server.command, server.cwd, server.env.PATH ?? env.PATH, hidden);
  if (install) bind('--ro-bind', install);
  if (cwd) bind('--ro-bind', cwd);
  for (const folder of server.folders) bind('--bind', realOrResolved(folder));
  // The data folder may sit under /opt or /etc too, which are shown read-only.
  const systemDirs = SYSTEM_DIRS.filter((directory) => existsSync(directory) && !lstatSync(directory).isSymbolicLink());
  const bound = [...systemDirs, ...mounts.map((mount) => mount.path)];
  for (const path of hidden) {
    // Home always exists inside (empty and writable, as $HOME); the others only where a mount would show them.
    if (path === home || bound.some((folder) => within(path, folder))) mounts.push({ path, args: ['--tmpfs', path] });
  }
  // Stable: at equal depth a tmpfs (pushed last) wins over a bind of the same folder.
  mounts.sort((a, b) => depth(a.path) - depth(b.path));

  const args = ['--unshare-all', ...(server.network ? ['--share-net'] : []), '--die-with-parent', '--new-session', ...systemMounts()];
  if (server.network && existsSync('/etc/resolv.conf') && lstatSync('/etc/resolv.conf').isSymbolicLink()) {
    // systemd-resolved and resolvconf keep the real file under /run, which is otherwise absent.
    args.push('--ro-bind-try', dirname(realOrResolved('/etc/resolv.conf')), dirname(realOrResolved('/etc/resolv.conf')));
  }
  for (const mount of mounts) args.push(...mount.args);
  args.push('--chdir', cwd ?? '/tmp');
  for (const name of DROPPED_DEFAULTS) if (!(name in server.env)) args.push('--unsetenv', name);
  args.push('--', server.command, ...server.args);
  const launchEnv: Record<string, string> = { ...(env.LANG ? { LANG: env.LANG } : {}), HOME: home, ...server.env };
  return { command: bwrap, args, env: launchEnv, ...(server.cwd && isAbsolute(server.cwd) ? { cwd: server.cwd } : {}) };
}

/** How a stdio server runs, in words, for the status, the CLI and the registration question. */
export function describeConfinement(sandbox: OsSandbox, server: { network: boolean; folders: readonly string[] }): string {
  if (sandbox.kind === 'none') return `NOT confined: ${sandbox.warning}`;
  const folders = server.folders.length > 0 ? `, read-write access to ${server.folders.join(', ')}` : '';
  return `confined by bubblewrap: no home folder, ${server.network ? 'network allowed' : 'no network'}${folders}`;
}
