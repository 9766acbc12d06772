import { formatCompact } from '../common/format.js';

export interface ContextBarProps {
  pid: number;
  /** Tokens of the context that are in the KV cache. */
  used: number;
  /** Tokens the agent paged out to long-term memory; null before the kernel reported its layout. */
  pagedOut: number | null;
  /** The model's context per sequence; null before a model is loaded. */
  size: number | null;
}

/**
 * How much of the model's context window the agent fills, and beside it the share of its history
 * paged out to long-term memory. The bar's scale is the window, or the whole history once that
 * is longer.
 */
export function ContextBar({ pid, used, pagedOut, size }: ContextBarProps) {
  if (size === null) return <span className="muted">–</span>;
  const paged = pagedOut ?? 0;
  const scale = Math.max(size, used + paged);
  const level = used / size > 0.9 ? 'high' : used / size > 0.7 ? 'mid' : 'low';
  const pagedText = pagedOut === null ? 'paged out: not reported yet' : `${paged} paged out to long-term memory`;
  return (
    <span className="context">
      <span
        className="bar"
        role="meter"
        aria-label={`Context used by process ${pid}`}
        aria-valuemin={0}
        aria-valuemax={size}
        aria-valuenow={Math.min(used, size)}
        aria-valuetext={`${used} of ${size} tokens resident; ${pagedText}`}
        title={`${used} / ${size} tokens resident · ${pagedText}`}
      >
        <span className={`bar-fill bar-${level}`} style={{ width: `${((used / scale) * 100).toFixed(1)}%` }} />
        {paged > 0 ? (
          <span className="bar-paged" style={{ left: `${((used / scale) * 100).toFixed(1)}%`, width: `${((paged / scale) * 100).toFixed(1)}%` }} />
        ) : null}
      </span>
      <span className="num">
        {formatCompact(used)}
        {paged > 0 ? <span className="paged-note">+{formatCompact(paged)}</span> : null}
      </span>
    </span>
  );
}
