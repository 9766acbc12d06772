#!/usr/bin/env node
// `npm run build:wasm`: compiles every tool (tools/) and test fixture (fixtures/) from AssemblyScript
// to an Extism plugin, with a declared memory maximum, and writes each group's catalog: the tool
// manifests with the sha256 the kernel pins. When `go` is on PATH it also builds the Go template
// tool (sdk-go/) into an installable package, dist/wasm-tools/packages/NAME/, and the Go test
// fixtures (fixtures-go/). Unchanged sources are not compiled again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { GO_MISSING, buildGoTool, goVersion } from './sdk-go/build-go-tool.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const out = join(root, 'dist', 'wasm-tools');
const cachePath = join(out, 'build-cache.json');
const cache = existsSync(cachePath) ? JSON.parse(readFileSync(cachePath, 'utf8')) : {};
const libSources = readdirSync(join(here, 'lib')).sort().map((file) => readFileSync(join(here, 'lib', file), 'utf8')).join('\n');
const ascVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')).version;

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

async function compile(group, name) {
  const source = join(here, group, name, 'index.ts');
  const manifest = JSON.parse(readFileSync(join(here, group, name, 'tool.json'), 'utf8'));
  const { build = {}, ...toolManifest } = manifest;
  const target = join(out, group, `${name}.wasm`);
  const flags = [
    relative(root, source),
    '--outFile', relative(root, target),
    '--optimize',
    '--use', 'abort=wasm-tools/lib/abort/toolAbort',
    ...(build.noMemoryMaximum ? [] : ['--maximumMemory', String(toolManifest.limits.memoryPages)]),
  ];
  const key = sha256([ascVersion, flags.join(' '), readFileSync(source, 'utf8'), JSON.stringify(manifest), libSources].join('\0'));
  if (cache[`${group}/${name}`] !== key || !existsSync(target)) {
    mkdirSync(dirname(target), { recursive: true });
    const started = performance.now();
    const { error, stderr } = await asc.main(flags, { stdout: process.stdout, stderr: process.stderr });
    if (error) throw new Error(`${group}/${name}: ${error.message}\n${stderr.toString()}`);
    cache[`${group}/${name}`] = key;
    console.log(`compiled ${group}/${name} in ${Math.round(performance.now() - started)} ms`);
  }
  return { ...toolManifest, runtime: 'wasm', file: `${name}.wasm`, sha256: sha256(readFileSync(target)) };
}

process.chdir(root);
for (const group of ['tools', 'fixtures']) {
  const names = readdirSync(join(here, group)).filter((name) => existsSync(join(here, group, name, 'tool.json'))).sort();
  const catalog = [];
  for (const name of names) catalog.push(await compile(group, name));
  mkdirSync(join(out, group), { recursive: true });
  writeFileSync(join(out, group, 'catalog.json'), JSON.stringify({ tools: catalog }, null, 2) + '\n');
}

// Go tools (wasm-tools/sdk-go) are built as installable packages, not into the built-in catalog:
// they reach the kernel only through `amk tools install`, like anyone's tool.
const sourcesOf = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? sourcesOf(join(dir, entry.name)) : /\.(go|mod|sum|json|mjs)$/.test(entry.name) ? [`${entry.name}\0${readFileSync(join(dir, entry.name), 'utf8')}`] : []));
// The AssemblyScript builds are recorded first: a failing Go build must not make them run again.
writeFileSync(cachePath, JSON.stringify(cache, null, 2) + '\n');
const go = goVersion();
if (!go) console.warn(`Go tool packages not built: ${GO_MISSING}`);
else {
  const goSources = [go, ...sourcesOf(join(here, 'sdk-go'))];
  const fixturesGo = join(here, 'fixtures-go');
  const goBuilds = [
    { id: 'packages/template', dir: join(here, 'sdk-go'), target: join(out, 'packages', JSON.parse(readFileSync(join(here, 'sdk-go', 'tool.json'), 'utf8')).name), sources: goSources },
    ...readdirSync(fixturesGo)
      .filter((name) => existsSync(join(fixturesGo, name, 'tool.json')))
      .sort()
      .map((name) => ({ id: `fixtures-go/${name}`, dir: join(fixturesGo, name), target: join(out, 'fixtures-go', name), sources: [...goSources, ...sourcesOf(fixturesGo)] })),
  ];
  for (const { id, dir, target, sources } of goBuilds) {
    const key = sha256(sources.join('\0'));
    if (cache[id] === key && existsSync(join(target, 'plugin.wasm'))) continue;
    const started = performance.now();
    buildGoTool(dir, target);
    cache[id] = key;
    writeFileSync(cachePath, JSON.stringify(cache, null, 2) + '\n');
    console.log(`compiled ${id} (Go) in ${Math.round(performance.now() - started)} ms`);
  }
}
writeFileSync(cachePath, JSON.stringify(cache, null, 2) + '\n');
console.log(`wasm tools ready in ${relative(root, out)}`);
