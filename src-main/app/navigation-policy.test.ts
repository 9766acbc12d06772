import { describe, expect, it } from 'vitest';
import { checkExternalLink, isInsideFolder } from './navigation-policy.js';

describe('the window navigates only inside the renderer folder', () => {
  const folder = '/opt/amk/dist/renderer';

  it('allows the folder’s own files', () => {
    expect(isInsideFolder('file:///opt/amk/dist/renderer/index.html', folder, 'linux')).toBe(true);
    expect(isInsideFolder('file:///opt/amk/dist/renderer/assets/index-1.js#/processes', folder, 'linux')).toBe(true);
    expect(isInsideFolder('file:///opt/amk/dist/renderer/a%20b.html', folder, 'linux')).toBe(true);
  });

  it('compares whole path segments: a sibling with the same prefix is outside', () => {
    expect(isInsideFolder('file:///opt/amk/dist/renderer-evil/index.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk-evil/x.html', '/opt/amk', 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk', '/opt/amk', 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk/x.html', '/opt/amk/', 'linux')).toBe(true);
  });

  it('refuses dot segments that climb out, encoded separators, NUL, hosts and other schemes', () => {
    expect(isInsideFolder('file:///opt/amk/dist/renderer/../../secret.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk/dist/renderer/%2e%2e/%2E%2E/secret.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk/dist/renderer/..%2F..%2Fsecret.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk/dist/renderer/..%5C..%5Csecret.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk/dist/renderer/x%00.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk/dist/renderer/%E0%A4%A.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file://evil.example/opt/amk/dist/renderer/index.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('https://opt/amk/dist/renderer/index.html', folder, 'linux')).toBe(false);
    expect(isInsideFolder('javascript:alert(1)', folder, 'linux')).toBe(false);
    expect(isInsideFolder('not a url', folder, 'linux')).toBe(false);
    expect(isInsideFolder('file:///opt/amk/x.html', 'relative/folder', 'linux')).toBe(false);
  });

  it('on Windows: drive letters, backslashes, case, and another drive', () => {
    const windowsFolder = 'C:\\Program Files\\AMK\\resources\\app.asar\\dist\\renderer';
    expect(isInsideFolder('file:///C:/Program%20Files/AMK/resources/app.asar/dist/renderer/index.html', windowsFolder, 'win32')).toBe(true);
    expect(isInsideFolder('file:///c:/program%20files/amk/resources/app.asar/dist/renderer/index.html', windowsFolder, 'win32')).toBe(true);
    expect(isInsideFolder('file:///C:/Program%20Files/AMK/resources/app.asar/dist/renderer-evil/index.html', windowsFolder, 'win32')).toBe(false);
    expect(isInsideFolder('file:///C:/Program%20Files/AMK/resources/app.asar/dist/renderer\\..\\..\\x.html', windowsFolder, 'win32')).toBe(false);
    expect(isInsideFolder('file:///D:/Program%20Files/AMK/resources/app.asar/dist/renderer/index.html', windowsFolder, 'win32')).toBe(false);
    expect(isInsideFolder('file:///Program%20Files/AMK/index.html', windowsFolder, 'win32')).toBe(false);
    expect(isInsideFolder('file://server/share/dist/renderer/index.html', windowsFolder, 'win32')).toBe(false);
  });
});

describe('links the app opens in the user’s browser', () => {
  it('opens https links to the sites the UI links to, as parsed', () => {
    expect(checkExternalLink('https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF')).toEqual({ ok: true, url: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF' });
    expect(checkExternalLink('https://GitHub.com/x/y?tab=readme#top')).toEqual({ ok: true, url: 'https://github.com/x/y?tab=readme#top' });
  });

  it('refuses other schemes, credentials, ports, other and look-alike hosts, and non-URLs', () => {
    const refused = (link: string) => checkExternalLink(link);
    expect(refused('http://huggingface.co/')).toEqual({ ok: false, reason: 'only https links open outside the app, not http:' });
    expect(refused('file:///etc/passwd')).toMatchObject({ ok: false, reason: expect.stringContaining('only https') });
    expect(refused('javascript:alert(1)')).toMatchObject({ ok: false });
    expect(refused('smb://attacker/share')).toMatchObject({ ok: false });
    expect(refused('https://user:pass@huggingface.co/')).toEqual({ ok: false, reason: 'a link with credentials in it is not opened' });
    expect(refused('https://huggingface.co@evil.example/')).toMatchObject({ ok: false });
    expect(refused('https://huggingface.co:8443/')).toEqual({ ok: false, reason: 'a link to a non-default port is not opened' });
    expect(refused('https://evil.example/')).toEqual({ ok: false, reason: 'evil.example is not one of the sites the app links to' });
    expect(refused('https://huggingface.co.evil.example/')).toMatchObject({ ok: false });
    expect(refused('https://evilhuggingface.co/')).toMatchObject({ ok: false });
    expect(refused('https://xn--hggingface-9db.co/')).toMatchObject({ ok: false });
    expect(refused('not a url')).toEqual({ ok: false, reason: 'not a URL' });
  });
});
