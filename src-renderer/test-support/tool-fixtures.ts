import type { InstalledTool, ToolPackageReview } from '../../src-shared/index.js';
import { fakeKernelClient } from './fake-kernel-client.js';

/** Test data for the tool packages UI: shaped by the contract, filled with plain values. */

export const SHA = 'ab'.repeat(32);

export function toolReview(overrides: Partial<ToolPackageReview> = {}): ToolPackageReview {
  return {
    reviewId: 'rev-1',
    name: 'page_fetch',
    description: 'Fetches a page.',
    publisher: null,
    keyId: null,
    signature: 'unsigned',
    sha256: SHA,
    pluginSha256: 'cd'.repeat(32),
    sizeBytes: 20_480,
    requires: [{ kind: 'net', arg: 'url' }],
    limits: { memoryPages: 16, timeMs: 2_000, outputBytes: 64 * 1024 },
    hostFunctions: ['kernel_http'],
    wasi: false,
    problems: [],
    ...overrides,
  };
}

export function installedTool(name: string, overrides: Partial<InstalledTool> = {}): InstalledTool {
  return {
    name,
    description: `The ${name} tool.`,
    source: 'builtin',
    sha256: null,
    publisher: null,
    signature: null,
    installedAt: null,
    requires: [],
    limits: null,
    hostFunctions: [],
    ...overrides,
  };
}

/**
 * A kernel client that answers the tool methods from a list it keeps, as the kernel would: an
 * install adds the reviewed tool, a removal drops it. `refuse` makes the next call of a method fail.
 */
export function toolKernel(initial: InstalledTool[], review: ToolPackageReview = toolReview()) {
  let tools = [...initial];
  const { client, call, refuse } = fakeKernelClient((method, params) => {
    switch (method) {
      case 'tools.installed':
        return tools;
      case 'tools.list':
        return tools.map((tool) => ({ name: tool.name, description: tool.description, runtime: 'wasm', inputSchema: { type: 'object' }, requires: tool.requires, limits: tool.limits ?? review.limits }));
      case 'tools.install': {
        const added = installedTool(review.name, { source: 'installed', sha256: review.sha256, signature: review.signature, requires: review.requires, limits: review.limits, hostFunctions: review.hostFunctions });
        tools = [...tools, added];
        return added;
      }
      case 'tools.remove':
        tools = tools.filter((tool) => tool.name !== params.name);
        return { ok: true };
      case 'tools.discard':
        return { ok: true };
      case 'tools.stage':
        return review;
      default:
        throw new Error(`no ${method} in this test`);
    }
  });
  return { client, call, refuse, tools: () => tools };
}
