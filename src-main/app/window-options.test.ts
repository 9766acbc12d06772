import { readFileSync } from 'node:fs';
import { build } from 'vite';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../server/static-files.js';
import { packageRoot } from '../settings.js';
import { tempDir } from '../test-support/fixtures.js';
import { menuTemplate, metaContentSecurityPolicy, windowWebPreferences } from './window-options.js';

function roles(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((item) => [...(item.role ? [item.role] : []), ...(Array.isArray(item.submenu) ? roles(item.submenu) : [])]);
}

describe('the window in a packaged build', () => {
  it('has no DevTools: not in its preferences, not in its menu', () => {
    expect(windowWebPreferences('/opt/amk', true)).toMatchObject({ devTools: false, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(roles(menuTemplate({ platform: 'linux', devTools: false, focus: () => {} }))).not.toContain('toggleDevTools');
    expect(roles(menuTemplate({ platform: 'darwin', devTools: false, focus: () => {} }))).not.toContain('toggleDevTools');
  });

  it('a development run keeps them', () => {
    expect(windowWebPreferences('/opt/amk', false)).toMatchObject({ devTools: true, contextIsolation: true, sandbox: true });
    expect(roles(menuTemplate({ platform: 'linux', devTools: true, focus: () => {} }))).toContain('toggleDevTools');
  });
});

describe('the renderer page carries its own Content-Security-Policy', () => {
  const html = readFileSync(join(packageRoot(), 'src-renderer', 'index.html'), 'utf8');
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/gi)];

  it('in a <meta> before any script, equal to the served header less the header-only directives', () => {
    expect(metas).toHaveLength(1);
    const [meta] = metas;
    expect(meta?.[1]).toBe(metaContentSecurityPolicy(CONTENT_SECURITY_POLICY));
    expect(meta?.index).toBeLessThan(html.indexOf('<script'));
    expect(meta?.[1]).toContain("script-src 'self'");
    expect(meta?.[1]).toContain("object-src 'none'");
  });

  it('the built page keeps it, ahead of the scripts Vite adds', async () => {
    const out = tempDir();
    try {
      await build({ configFile: join(packageRoot(), 'vite.config.ts'), logLevel: 'silent', build: { outDir: out.path, emptyOutDir: true } });
      const built = readFileSync(join(out.path, 'index.html'), 'utf8');
      const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(built);
      expect(meta?.[1]).toBe(metaContentSecurityPolicy(CONTENT_SECURITY_POLICY));
      expect(meta?.index).toBeLessThan(built.indexOf('<script'));
      // script-src 'self' holds only while Vite emits no inline script.
      expect(built).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    } finally {
      out.dispose();
    }
  });

  it('the meta form drops exactly what a <meta> cannot carry', () => {
    expect(metaContentSecurityPolicy("default-src 'self'; frame-ancestors 'none'; report-uri /r; sandbox; img-src data:")).toBe("default-src 'self'; img-src data:");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(metaContentSecurityPolicy(CONTENT_SECURITY_POLICY)).not.toContain('frame-ancestors');
  });
});
