import type { AgentManifest, AuditRecord, GrantRequest, KernelEvent, KernelEventBody, KernelInfo, ModelInfo, ProcessInfo } from '../../src-shared/index.js';
import { freshProcessInfo } from '../../src-shared/index.js';

/** Test data for the renderer's tests: shaped by the contract, filled with plain values. */

export const T0 = 1_700_000_000_000;

export const manifest: AgentManifest = {
  id: 'looper',
  name: 'Looper',
  description: 'Loops.',
  icon: '🔁',
  systemPrompt: 'Loop.',
  kind: 'background',
  model: { temperature: 0, maxTokensPerStep: 96, maxSteps: 100, maxAnswerChars: 400, toolFirst: false, toolSteps: 0 },
  tools: ['calculator'],
  capabilities: ['clock'],
  policy: 'strict',
  toolArgs: {},
};

export function processInfo(pid: number, overrides: Partial<ProcessInfo> = {}): ProcessInfo {
  return { ...freshProcessInfo(pid, manifest, `task ${pid}`, { class: 'background', nice: 0 }), state: 'ready', createdAt: T0 + pid, ...overrides };
}

let seq = 0;
/** Stamps an event the way the kernel's bus does. */
export function stamp(body: KernelEventBody, at = T0 + seq * 10): KernelEvent {
  seq += 1;
  return { ...body, seq, at } as KernelEvent;
}

export function grantRequest(id: string, overrides: Partial<GrantRequest> = {}): GrantRequest {
  return {
    id,
    pid: 1,
    agentId: 'fetcher',
    agentName: 'Fetcher',
    tool: 'http_get',
    capability: 'net:127.0.0.1:8080',
    summary: 'connect to 127.0.0.1 on port 8080',
    args: '{"url":"http://127.0.0.1:8080/page"}',
    risk: 'medium',
    count: 1,
    requestedAt: T0,
    expiresAt: T0 + 60_000,
    ...overrides,
  };
}

let auditSeq = 0;
export function auditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  auditSeq += 1;
  return {
    seq: auditSeq,
    at: T0 + auditSeq,
    pid: 1,
    agentId: 'fetcher',
    kind: 'capability',
    name: 'http_get',
    argsDigest: null,
    capability: 'net:127.0.0.1:8080',
    outcome: 'allowed',
    reason: 'granted for the session',
    resultBytes: null,
    durationMs: null,
    prevHash: 'a',
    hash: 'b',
    ...overrides,
  };
}

export function kernelInfo(overrides: Partial<KernelInfo> = {}): KernelInfo {
  return {
    version: '0.1.0',
    dataDir: '/data',
    startedAt: T0,
    model: null,
    modelError: 'no model in tests',
    scheduler: { policy: 'fair-share', quantumTokens: 32, swap: 'ram' },
    webhook: null,
    memory: { available: true, reason: null },
    journal: { skippedLines: 0, problems: [], sizeBytes: 0, compactedAt: null },
    warnings: [],
    ...overrides,
  };
}

export function modelInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return {
    path: '/models/tiny.gguf',
    name: 'tiny.gguf',
    sizeBytes: 1_000_000,
    sha256: 'x',
    trainContextSize: 2048,
    contextSize: 2048,
    slots: 2,
    hasChatTemplate: false,
    backend: 'cpu',
    devices: [],
    vram: null,
    gpuLayers: 0,
    totalLayers: 5,
    threads: 1,
    kvType: 'f16',
    headDim: 64,
    kvBytesPerToken: 128,
    ...overrides,
  };
}
