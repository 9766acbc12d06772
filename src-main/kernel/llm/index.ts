export type {
  ChatMessage,
  GenerateOptions,
  GenerationCursor,
  GenerateResult,
  GpuChoice,
  LlmBackend,
  LlmLoadOptions,
  LlmSlot,
  OutputGrammar,
  StopReason,
  Token,
} from './llm-backend.js';
export { detectGpu, loadLlamaBackend } from './llama-backend.js';
export { describeModelFile, inspectModelFile, type ModelFileDescription } from './model-file.js';
export { defaultThreadCount } from './threads.js';
export { saveKvState, loadKvState, readKvState, kvCompatibility, type KvIdentity, type KvStateHeader } from './kv-state-file.js';
export { writeRemoteKvReference, readRemoteKvReference, type RemoteKvReference } from './remote-kv-reference.js';
