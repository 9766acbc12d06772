import { useState } from 'react';
import { isTerminal } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectKilling, selectProcess } from '../../store/selectors.js';
import { ModalDialog } from '../common/modal-dialog.js';

function KillConfirm({ pid }: { pid: number }) {
  const info = useKernelStore(selectProcess(pid));
  const kill = useKernelStore((state) => state.kill);
  const close = useKernelStore((state) => state.openKill);
  const [killing, setKilling] = useState(false);
  const name = info ? `${info.name} (pid ${pid})` : `process ${pid}`;
  // It finished on its own meanwhile: there is nothing left to confirm.
  const finished = info !== undefined && isTerminal(info.state);

  const confirm = async (): Promise<void> => {
    setKilling(true);
    await kill(pid);
    close(null);
  };

  return (
    <ModalDialog title={`Kill ${name}?`} onCancel={() => close(null)} className="kill-dialog">
      <div className="dialog-body">
        <p>
          {finished
            ? `${name} has already finished.`
            : 'It stops at its next token and cannot be resumed. Its transcript so far stays in the table; Suspend pauses it instead.'}
        </p>
        <div className="dialog-actions">
          <button type="button" className="quiet" data-autofocus onClick={() => close(null)}>
            Cancel
          </button>
          <button type="button" className="danger" disabled={killing || finished} onClick={() => void confirm()}>
            {killing ? 'Killing…' : 'Kill'}
          </button>
        </div>
      </div>
    </ModalDialog>
  );
}

/** Asks before a kill (it cannot be undone); opened from a row's Kill button. */
export function KillDialog() {
  const pid = useKernelStore(selectKilling);
  return pid === null ? null : <KillConfirm key={pid} pid={pid} />;
}
