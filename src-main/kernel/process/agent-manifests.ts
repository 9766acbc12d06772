import type { AgentManifest } from '../../../src-shared/index.js';
import { EXTERNAL_AGENT_PREFIX, isExternalAgentId, parseAgentManifest } from '../../../src-shared/index.js';
import { KernelError } from '../core/kernel-error.js';
import { loadGallery } from '../runtime/index.js';
import type { ToolRegistry } from '../tools/index.js';

/** The gallery's agents, and the check every manifest passes before it runs (its tools exist). */
export class AgentManifests {
  private gallery = new Map<string, AgentManifest>();

  constructor(private readonly tools: ToolRegistry) {}

  /** Reads the gallery folder; the manifests that do not parse come back as errors. */
  async load(galleryDir: string): Promise<{ file: string; message: string }[]> {
    const gallery = await loadGallery(galleryDir);
    this.gallery = new Map(gallery.agents.map((agent) => [agent.id, agent]));
    return gallery.errors;
  }

  list(): AgentManifest[] {
    return [...this.gallery.values()];
  }

  /** A gallery agent by id, or a whole manifest parsed (field-named errors); its tools must exist. */
  resolve(agent: string | Record<string, unknown>): AgentManifest {
    let manifest: AgentManifest;
    if (typeof agent === 'string') {
      const known = this.gallery.get(agent);
      if (!known) throw new KernelError('UNKNOWN_AGENT', `no agent "${agent}" in the gallery (${[...this.gallery.keys()].join(', ')})`);
      manifest = known;
    } else {
      const parsed = parseAgentManifest(agent);
      if (!parsed.ok) throw new KernelError('INVALID_MANIFEST', parsed.message);
      manifest = parsed.manifest;
    }
    if (isExternalAgentId(manifest.id)) {
      throw new KernelError('INVALID_MANIFEST', `agent ids starting with ${EXTERNAL_AGENT_PREFIX} are reserved for MCP clients (their grants are theirs)`);
    }
    const unknown = manifest.tools.filter((tool) => !this.tools.has(tool));
    if (unknown.length > 0) {
      throw new KernelError('UNKNOWN_TOOL', `agent "${manifest.id}" names unknown tool(s): ${unknown.join(', ')}`, { tools: unknown });
    }
    return manifest;
  }
}
