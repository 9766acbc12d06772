import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

export interface ModalDialogProps {
  title: ReactNode;
  /** Esc, the close button and a click outside all mean this. */
  onCancel: () => void;
  children: ReactNode;
  /** Words for the close button, e.g. "Close and deny". */
  closeLabel?: string;
  className?: string;
  /** Alert dialogs interrupt (a grant request); plain ones were asked for. */
  role?: 'dialog' | 'alertdialog';
  describedBy?: string;
  /** The id of the control that asked for this dialog, when focus was elsewhere by the time it opened (after an upload). */
  returnFocusTo?: string | null;
}

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal on top of the app: focus moves in (to `[data-autofocus]` or the first control), Tab
 * stays inside, Esc cancels, and focus goes back where it was when it closes. The app behind it is
 * made inert by the shell while any modal is open.
 */
export function ModalDialog({ title, onCancel, children, closeLabel = 'Close', className, role = 'dialog', describedBy, returnFocusTo }: ModalDialogProps) {
  const titleId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const cancel = useRef(onCancel);
  cancel.current = onCancel;

  const opener = useRef(returnFocusTo);
  // Read while rendering: by the time effects run the shell has made the app inert, which blurs the opener to <body>.
  const [previous] = useState(() => (document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null));
  useEffect(() => {
    const dialog = ref.current;
    const target = dialog?.querySelector<HTMLElement>('[data-autofocus]') ?? dialog?.querySelector<HTMLElement>(FOCUSABLE);
    target?.focus();
    return () => ((opener.current ? document.getElementById(opener.current) : null) ?? previous)?.focus();
  }, [previous]);

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      cancel.current();
      return;
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const controls = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return createPortal(
    <div
      className="modal-backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) cancel.current();
      }}
    >
      <div
        ref={ref}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        className={`modal${className ? ` ${className}` : ''}`}
        onKeyDown={onKeyDown}
      >
        <header className="modal-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="quiet icon-button" aria-label={closeLabel} title={closeLabel} onClick={() => cancel.current()}>
            ×
          </button>
        </header>
        {children}
      </div>
    </div>,
    document.body,
  );
}
