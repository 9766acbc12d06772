export { AgentProcess, MAILBOX_CAPACITY, type AgentHost, type AgentOptions } from './agent-process.js';
export { historyFromTranscript, preferSnapshotTokens, unfinishedStep, type RecoveredHistory } from './recovery.js';
export { stepSchema, parseAction, isCompleteJson, toGrammarSchema, validateAgentArgs } from './step-protocol.js';
export { loadGallery, type GalleryLoadResult } from './gallery.js';
export { ContextPager, DEFAULT_PAGING, type PagingPolicy } from './context-pager.js';
export { PromptBuilder, type StepRecord, type PromptLayout } from './prompt-builder.js';
