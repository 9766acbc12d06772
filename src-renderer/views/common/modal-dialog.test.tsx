// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useLayoutEffect, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ModalDialog } from './modal-dialog.js';

afterEach(cleanup);

/**
 * The shell makes the app inert while a modal is open. A browser blurs a focused element that turns
 * inert (focus falls to <body>) before the dialog's effects run; jsdom does not, so this shell does it.
 */
function Shell() {
  const [open, setOpen] = useState(false);
  useLayoutEffect(() => {
    if (open && document.activeElement instanceof HTMLElement) document.activeElement.blur();
  }, [open]);
  return (
    <>
      <div inert={open}>
        <button type="button">Other</button>
        <button type="button" onClick={() => setOpen(true)}>
          Renice
        </button>
      </div>
      {open ? (
        <ModalDialog title="Renice" onCancel={() => setOpen(false)}>
          <button type="button">Apply</button>
        </ModalDialog>
      ) : null}
    </>
  );
}

describe('modal dialog', () => {
  it('returns focus to the control that opened it, not to <body>', () => {
    render(<Shell />);
    const opener = screen.getByRole('button', { name: 'Renice' });
    opener.focus();
    fireEvent.click(opener);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' }));
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});
