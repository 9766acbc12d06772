import { useKernelStore } from '../store/kernel-store.js';
import { selectConnection, selectDroppedEvents, selectErrors } from '../store/selectors.js';

/** Failed calls, newest last, each dismissible. */
export function ErrorBanner() {
  const errors = useKernelStore(selectErrors);
  const dismiss = useKernelStore((state) => state.dismissError);
  if (errors.length === 0) return null;
  return (
    <div className="banner banner-error" role="alert">
      <ul>
        {errors.map((error) => (
          <li key={error.id}>
            <code>{error.code}</code>
            <span>{error.message}</span>
            <button type="button" className="quiet" aria-label={`Dismiss error: ${error.message}`} onClick={() => dismiss(error.id)}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Shown once a live connection is lost, or when the bus had to drop events for this page. */
export function ConnectionNotice({ onReconnect }: { onReconnect: () => void }) {
  const connection = useKernelStore(selectConnection);
  const dropped = useKernelStore(selectDroppedEvents);
  if (connection.status === 'closed') {
    return (
      <div className="banner banner-warning" role="status">
        <span>{connection.reason ?? 'The connection to the kernel closed.'} What you see may be out of date.</span>
        <button type="button" onClick={onReconnect}>
          Reconnect
        </button>
      </div>
    );
  }
  if (dropped > 0) {
    return (
      <div className="banner banner-warning" role="status">
        <span>
          The page fell behind and missed {dropped} events; the table was read again, but console output may have gaps.
        </span>
      </div>
    );
  }
  return null;
}
