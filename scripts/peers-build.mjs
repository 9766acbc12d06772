#!/usr/bin/env node
// `npm run peers:build`: build llama.cpp's own server (`llama-server`), the peer the scheduler
// benchmark compares the kernel against. The source is the one node-llama-cpp was built from: it
// ships it as a git bundle, so the peer runs the same llama.cpp as the kernel and no network is needed.
// The build goes to a cache outside the repository (AMK_PEERS_CACHE, default ~/.cache/amk/peers):
// several minutes on 2 cores, so it is built once and reused while its stamp names the same commit.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const llamaDir = join(root, 'node_modules', 'node-llama-cpp', 'llama');
const bundle = join(llamaDir, 'gitRelease.bundle');
const cache = process.env.AMK_PEERS_CACHE ?? join(homedir(), '.cache', 'amk', 'peers');
const jobs = process.env.AMK_PEERS_JOBS ?? '2';

function git(args, cwd) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function main() {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm install (node-llama-cpp ships the llama.cpp source there)`);
  const head = git(['bundle', 'list-heads', bundle]).split('\n').find((line) => line.endsWith(' HEAD'));
  if (!head) throw new Error(`${bundle} has no HEAD`);
  const commit = head.split(' ')[0];
  // llama.cpp.info.json names the release tag node-llama-cpp pinned; the bundle is squashed and carries
  // no tags, so the tag is recorded next to the commit rather than compared with it.
  const info = JSON.parse(readFileSync(join(llamaDir, 'llama.cpp.info.json'), 'utf8'));
  const stampBody = JSON.stringify({ commit, tag: info.tag, repo: info.llamaCppGithubRepo }, null, 2) + '\n';
  const src = join(cache, `llama.cpp-${commit}`);
  const binDir = join(cache, 'bin');
  const binary = join(binDir, 'llama-server');
  const stamp = join(binDir, 'llama-server.stamp.json');
  if (existsSync(binary) && existsSync(stamp) && JSON.parse(readFileSync(stamp, 'utf8')).commit === commit) {
    console.log(`llama-server (llama.cpp ${commit.slice(0, 12)}, ${info.tag}) is already built: ${binary}`);
    return;
  }
  mkdirSync(cache, { recursive: true });
  if (!existsSync(join(src, 'CMakeLists.txt'))) {
    rmSync(src, { recursive: true, force: true });
    console.log(`cloning ${bundle} into ${src} …`);
    git(['clone', '--quiet', bundle, src]);
  }
  const cloned = git(['rev-parse', 'HEAD'], src);
  if (cloned !== commit) throw new Error(`${src} is at ${cloned}, not the bundle's ${commit}; delete it and rerun`);
  const build = join(src, 'build');
  const started = Date.now();
  // CPU only, no network at build time (no curl/openssl, no prebuilt web UI download), no tests/examples.
  execFileSync('cmake', ['-S', src, '-B', build,
    '-DCMAKE_BUILD_TYPE=Release', '-DGGML_NATIVE=ON', '-DLLAMA_CURL=OFF', '-DLLAMA_OPENSSL=OFF',
    '-DLLAMA_BUILD_TESTS=OFF', '-DLLAMA_BUILD_EXAMPLES=OFF', '-DLLAMA_BUILD_UI=OFF', '-DLLAMA_USE_PREBUILT_UI=OFF',
    '-DGGML_CUDA=OFF', '-DGGML_VULKAN=OFF', '-DGGML_METAL=OFF', '-DBUILD_SHARED_LIBS=OFF'], { stdio: 'inherit' });
  execFileSync('cmake', ['--build', build, '--config', 'Release', '--target', 'llama-server', '-j', jobs], { stdio: 'inherit' });
  const built = join(build, 'bin', 'llama-server');
  if (!existsSync(built)) throw new Error(`the build finished but ${built} is missing`);
  mkdirSync(binDir, { recursive: true });
  // Copy then rename: a reader never sees a half-written binary at the stable path.
  copyFileSync(built, `${binary}.partial`);
  renameSync(`${binary}.partial`, binary);
  writeFileSync(stamp, stampBody);
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  console.log(`llama-server (llama.cpp ${commit.slice(0, 12)}, ${info.tag}) built in ${minutes} min: ${binary}`);
}

try {
  main();
} catch (error) {
  console.error(`peers:build: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
