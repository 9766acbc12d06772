import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentManifest } from '../../../src-shared/index.js';
import { parseAgentManifest } from '../../../src-shared/index.js';

export interface GalleryLoadResult {
  agents: AgentManifest[];
  /** Manifests that failed to load, with the reason; the rest of the gallery still loads. */
  errors: { file: string; message: string }[];
}

export async function loadGallery(directory: string): Promise<GalleryLoadResult> {
  const result: GalleryLoadResult = { agents: [], errors: [] };
  let files: string[];
  try {
    files = (await readdir(directory)).filter((file) => file.endsWith('.json')).sort();
  } catch (error) {
    result.errors.push({ file: directory, message: `cannot read the gallery: ${(error as Error).message}` });
    return result;
  }
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(join(directory, file), 'utf8'));
    } catch (error) {
      result.errors.push({ file, message: `${file}: not valid JSON: ${(error as Error).message}` });
      continue;
    }
    const parsed = parseAgentManifest(raw, file);
    if (parsed.ok) result.agents.push(parsed.manifest);
    else result.errors.push({ file, message: parsed.message });
  }
  return result;
}
