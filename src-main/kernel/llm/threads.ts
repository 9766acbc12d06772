import { availableParallelism } from 'node:os';

/**
 * On a CPU backend llama.cpp's threads spin-wait on each other; on small machines and small
 * models more threads was measured 30x slower (2 threads on 2 cores). Half the cores, at most 8,
 * leaves room for the kernel and the UI. On a GPU the CPU threads matter little.
 */
export function defaultThreadCount(cores = availableParallelism()): number {
  return Math.min(8, Math.max(1, Math.floor(cores / 2)));
}
