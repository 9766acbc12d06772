import { memo } from 'react';
import type { RateHistory } from '../../store/metrics.slice.js';
import { HISTORY_LENGTH, SAMPLE_MS } from '../../store/metrics.slice.js';

const WIDTH = 64;
const HEIGHT = 16;

/** The last 30 seconds of a rate as a line; the scale is the history's own peak (at least 1). */
export const Sparkline = memo(function Sparkline({ history, label }: { history: RateHistory | undefined; label: string }) {
  const values = history ?? [];
  const peak = Math.max(1, ...values);
  const step = WIDTH / (HISTORY_LENGTH - 1);
  const offset = HISTORY_LENGTH - values.length;
  const points = values.map((value, index) => `${((offset + index) * step).toFixed(1)},${(HEIGHT - 1 - (value / peak) * (HEIGHT - 2)).toFixed(1)}`);
  const seconds = Math.round((HISTORY_LENGTH * SAMPLE_MS) / 1000);
  return (
    <svg className="sparkline" width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}, last ${seconds} s, peak ${Math.round(peak)}`}>
      <line x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="sparkline-base" />
      {points.length > 1 ? <polyline points={points.join(' ')} className="sparkline-line" /> : null}
    </svg>
  );
});
