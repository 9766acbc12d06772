import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './test-support/fixtures.js';
import { resolveKernelConfig } from './settings.js';

const dirs: { dispose: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.dispose()));

function dataDir(config?: Record<string, unknown>): string {
  const dir = tempDir();
  dirs.push(dir);
  if (config) writeFileSync(join(dir.path, 'config.json'), JSON.stringify(config));
  return dir.path;
}

describe('resume on boot', () => {
  it('resumes recovered processes by default', () => {
    expect(resolveKernelConfig({ dataDir: dataDir() }, {}).recovery).toBe('resume');
  });

  it('--no-resume, AMK_NO_RESUME=1 and "resumeOnBoot": false each keep them suspended; the flag wins', () => {
    expect(resolveKernelConfig({ dataDir: dataDir(), noResume: true }, {}).recovery).toBe('suspend');
    expect(resolveKernelConfig({ dataDir: dataDir() }, { AMK_NO_RESUME: '1' }).recovery).toBe('suspend');
    expect(resolveKernelConfig({ dataDir: dataDir({ resumeOnBoot: false }) }, {}).recovery).toBe('suspend');
    expect(resolveKernelConfig({ dataDir: dataDir({ resumeOnBoot: false }) }, { AMK_NO_RESUME: '0' }).recovery).toBe('resume');
    expect(resolveKernelConfig({ dataDir: dataDir({ resumeOnBoot: true }) }, { AMK_NO_RESUME: '0' }).recovery).toBe('resume');
    expect(resolveKernelConfig({ dataDir: dataDir(), noResume: true }, { AMK_NO_RESUME: '0' }).recovery).toBe('suspend');
  });

  it('names a bad value instead of guessing', () => {
    expect(() => resolveKernelConfig({ dataDir: dataDir() }, { AMK_NO_RESUME: 'maybe' })).toThrow(/AMK_NO_RESUME must be 1 or 0/);
    expect(() => resolveKernelConfig({ dataDir: dataDir({ resumeOnBoot: 'no' }) }, {})).toThrow(/resumeOnBoot in config.json must be true or false/);
  });
});

describe('bubblewrap for MCP servers', () => {
  it('is looked up on PATH unless AMK_BWRAP or "bwrapPath" names it; the variable wins', () => {
    expect(resolveKernelConfig({ dataDir: dataDir() }, {}).bwrapPath).toBeUndefined();
    expect(resolveKernelConfig({ dataDir: dataDir({ bwrapPath: '/opt/bw/bwrap' }) }, {}).bwrapPath).toBe('/opt/bw/bwrap');
    expect(resolveKernelConfig({ dataDir: dataDir({ bwrapPath: '/opt/bw/bwrap' }) }, { AMK_BWRAP: '/usr/local/bin/bwrap' }).bwrapPath).toBe('/usr/local/bin/bwrap');
    expect(() => resolveKernelConfig({ dataDir: dataDir({ bwrapPath: 3 }) }, {})).toThrow(/bwrapPath in config.json must be a path/);
  });
});

describe('config.json validation', () => {
  it('names the field, the value and the file of a bad setting', () => {
    const dir = dataDir({ slots: 'four' });
    const config = join(dir, 'config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(() => resolveKernelConfig({ dataDir: dir }, {})).toThrow(new RegExp(`^slots in config.json must be a positive integer, got "four" \\(${config}\\)$`));
    expect(() => resolveKernelConfig({ dataDir: dataDir({ gpu: 'tpu' }) }, {})).toThrow(/^gpu in config.json must be one of auto, cpu, cuda, vulkan, metal, got "tpu"/);
    expect(() => resolveKernelConfig({ dataDir: dataDir({ contextSize: -1 }) }, {})).toThrow(/^contextSize in config.json must be "auto" or a positive integer, got -1/);
    expect(() => resolveKernelConfig({ dataDir: dataDir({ kvType: 'q2' }) }, {})).toThrow(/^kvType in config.json must be f16, q8_0 or q4_0/);
    expect(() => resolveKernelConfig({ dataDir: dataDir({ swap: 'tape' }) }, {})).toThrow(/^swap in config.json must be ram or disk/);
  });

  it('refuses a file that is not an object of settings, naming the file', () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'config.json'), '[1, 2]');
    expect(() => resolveKernelConfig({ dataDir: dir }, {})).toThrow(/config\.json must hold a JSON object of settings, got \[1,2\]/);
  });

  it('takes good settings, including "auto" and fields it does not know', () => {
    const config = resolveKernelConfig({ dataDir: dataDir({ slots: 2, contextSize: 'auto', gpuLayers: 0, kvType: 'q8_0', swap: 'disk', gpu: 'cpu', somethingNewer: 1 }) }, {});
    expect(config).toMatchObject({ slots: 2, contextSize: 'auto', gpuLayers: 0, kvType: 'q8_0', gpu: 'cpu', scheduler: { swap: 'disk' } });
  });

  it('swaps on demand unless "swapPolicy" or AMK_SWAP_POLICY asks for swap by idleness; a bad value is named', () => {
    expect(resolveKernelConfig({ dataDir: dataDir() }, {}).scheduler?.swapPolicy).toBeUndefined();
    expect(resolveKernelConfig({ dataDir: dataDir({ swapPolicy: 'idle' }) }, {}).scheduler).toMatchObject({ swapPolicy: 'idle' });
    expect(resolveKernelConfig({ dataDir: dataDir({ swapPolicy: 'idle' }) }, { AMK_SWAP_POLICY: 'on-demand' }).scheduler).toMatchObject({ swapPolicy: 'on-demand' });
    expect(() => resolveKernelConfig({ dataDir: dataDir({ swapPolicy: 'lazy' }) }, {})).toThrow(/^swapPolicy in config.json must be on-demand or idle/);
    expect(() => resolveKernelConfig({ dataDir: dataDir() }, { AMK_SWAP_POLICY: 'lazy' })).toThrow(/AMK_SWAP_POLICY must be on-demand or idle, got "lazy"/);
  });
});
