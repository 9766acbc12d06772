import { posix, win32 } from 'node:path';

/**
 * Whether a URL is a local file inside `folder`, comparing whole path segments: with the folder
 * `/opt/amk`, `/opt/amk/x` is inside and `/opt/amk-evil/x` is not. The URL parser has already
 * resolved `.`, `..` and their `%2e` spellings; encoded separators (`%2F`, `%5C`) and NUL are
 * refused outright, since decoding them would make segments the parser never saw. A host
 * (`file://server/share`) is never one of the app's files.
 */
export function isInsideFolder(target: string, folder: string, platform: NodeJS.Platform = process.platform): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (url.protocol !== 'file:' || url.host !== '') return false;
  if (/%(2f|5c|00)/i.test(url.pathname)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return false;
  }
  const windows = platform === 'win32';
  const path = windows ? win32 : posix;
  // file:///C:/x has the pathname /C:/x; on Windows anything without a drive is not a local file.
  const file = windows ? decoded.replace(/^\/([a-zA-Z]:)/, '$1') : decoded;
  if (windows ? !/^[a-zA-Z]:[\\/]/.test(file) : !file.startsWith('/')) return false;
  if (!path.isAbsolute(folder)) return false;
  // win32.relative compares case-insensitively, as Windows names do.
  const relative = path.relative(path.resolve(folder), path.resolve(file));
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/**
 * The hosts the UI links to (model pages, the project). A link elsewhere, even https, is not
 * opened: a page the renderer was tricked into showing cannot use the app to launch URLs.
 */
export const EXTERNAL_LINK_HOSTS: readonly string[] = ['huggingface.co', 'github.com'];

/**
 * Whether a link may go to the user's browser (`shell.openExternal`): https only, on the default
 * port, no credentials in it, to one of the hosts the UI links to. Returns the URL as parsed
 * (what will be opened is what was checked), or why not.
 */
export function checkExternalLink(link: string, hosts: readonly string[] = EXTERNAL_LINK_HOSTS): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: `only https links open outside the app, not ${url.protocol}` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'a link with credentials in it is not opened' };
  if (url.port !== '') return { ok: false, reason: 'a link to a non-default port is not opened' };
  if (!hosts.includes(url.hostname)) return { ok: false, reason: `${url.hostname} is not one of the sites the app links to` };
  return { ok: true, url: url.href };
}
