/** 3s, 4m 05s, 2h 03m: as much precision as a glance needs. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
}

const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const rates = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return counts.format(value);
}

export function formatRate(value: number): string {
  return rates.format(value);
}

/** Sizes are spelled once, in src-shared, for the CLI and the UI alike. */
export { formatBytes } from '../../../src-shared/index.js';

/** 14:03:07: the time of day of a kernel timestamp. */
export function formatClock(at: number): string {
  const date = new Date(at);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

/** 1.2k, 34k, 1.1M: a token count in at most four characters. */
export function formatCompact(value: number): string {
  if (value < 1000) return String(Math.round(value));
  if (value < 10_000) return `${(value / 1000).toFixed(1)}k`;
  if (value < 1_000_000) return `${Math.round(value / 1000)}k`;
  return `${(value / 1_000_000).toFixed(1)}M`;
}

/** "cpu" → "CPU", "cuda" → "CUDA", "vulkan" → "Vulkan", "metal" → "Metal". */
export function formatBackend(backend: string): string {
  return backend === 'cpu' || backend === 'cuda' ? backend.toUpperCase() : backend.charAt(0).toUpperCase() + backend.slice(1);
}
