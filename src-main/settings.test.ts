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
