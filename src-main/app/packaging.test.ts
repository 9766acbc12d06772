import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../settings.js';

const root = packageRoot();
const NATIVE = /\.(node|so(\.\d+)*|dylib|dll)$/;

/** electron-builder's globs, enough of them for this check: `**` any depth, `*` within a name. */
function globToRegExp(glob: string): RegExp {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*/g, '@@ANY@@')
    .replace(/\*/g, '[^/]*')
    .replace(/@@ANY@@/g, '.*');
  return new RegExp(`^${pattern}$`);
}

function listFiles(directory: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...listFiles(path));
    else if (entry.isFile() && NATIVE.test(entry.name) && statSync(path).size > 0) found.push(path);
  }
  return found;
}

/** The install folders of the production dependencies: what electron-builder packs. */
function productionPackages(): string[] {
  const output = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  return output
    .split('\n')
    .filter((line) => line.includes('node_modules'))
    .map((line) => relative(root, line));
}

describe('packaging', () => {
  const config = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
  const unpack = [...config.matchAll(/^asarUnpack:\n((?:\s+- .+\n)+)/gm)].flatMap((match) => match[1]!.split('\n').map((line) => line.replace(/^\s+- /, '').trim()).filter(Boolean));

  it('targets Linux AppImage and deb, macOS dmg and Windows NSIS, with icons and the gallery and catalogue as resources', () => {
    expect(config).toMatch(/linux:\n\s+target: \[AppImage, deb\]/);
    expect(config).toMatch(/mac:\n\s+target: dmg/);
    expect(config).toMatch(/win:\n\s+target: nsis/);
    expect(config).toContain('from: assets/gallery');
    expect(config).toContain('from: assets/models.json');
    expect(readFileSync(join(root, 'assets', 'icon.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('unpacks from the asar every native binary installed for a production dependency', () => {
    const patterns = unpack.map(globToRegExp);
    const packages = productionPackages();
    const natives = packages.flatMap((pkg) => listFiles(join(root, pkg)).map((file) => relative(root, file)));
    expect(natives.length).toBeGreaterThan(0);
    expect(natives.some((file) => file.includes('@node-llama-cpp'))).toBe(true);
    expect(natives.some((file) => file.includes('@lancedb'))).toBe(true);
    const missed = natives.filter((file) => !patterns.some((pattern) => pattern.test(file)));
    expect(missed).toEqual([]);
  });
});
