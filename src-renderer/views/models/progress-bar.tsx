import { formatBytes, formatDuration } from '../common/format.js';

/** A labelled progress bar: fraction from 0 to 1, or null while the size is not known. */
export function ProgressBar({ label, fraction, detail }: { label: string; fraction: number | null; detail?: string }) {
  const percent = fraction === null ? null : Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div className="progress">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        {...(percent === null ? {} : { 'aria-valuenow': percent })}
        aria-valuetext={detail ? `${percent ?? '?'}% · ${detail}` : `${percent ?? '?'}%`}
        className="progress-track"
      >
        <div className="progress-fill" style={{ width: `${percent ?? 0}%` }} />
      </div>
      <span className="progress-text num">
        {percent === null ? '…' : `${percent}%`}
        {detail ? ` · ${detail}` : ''}
      </span>
    </div>
  );
}

/** "12.4 MiB of 1.0 GiB · 3.2 MiB/s · 4m 10s left": what a user waiting on a download wants to know. */
export function describeTransfer(received: number, total: number, bytesPerSecond: number, secondsLeft: number | null): string {
  const parts = [total > 0 ? `${formatBytes(received)} of ${formatBytes(total)}` : formatBytes(received)];
  if (bytesPerSecond > 0) parts.push(`${formatBytes(bytesPerSecond)}/s`);
  if (secondsLeft !== null) parts.push(`${formatDuration(secondsLeft * 1000)} left`);
  return parts.join(' · ');
}
