export { AgentProcess, type AgentHost } from './agent-process.js';
export { historyFromTranscript, type RecoveredHistory } from './recovery.js';
export { stepSchema, parseAction, isCompleteJson, toGrammarSchema, validateAgentArgs } from './step-protocol.js';
export { loadGallery, type GalleryLoadResult } from './gallery.js';
