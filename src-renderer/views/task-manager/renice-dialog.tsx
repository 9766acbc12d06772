import { useState, type FormEvent } from 'react';
import type { PriorityClass as PriorityClassName } from '../../../src-shared/index.js';
import { PriorityClass } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { selectProcess, selectRenicing } from '../../store/selectors.js';
import { ModalDialog } from '../common/modal-dialog.js';

const CLASS_HELP: Record<PriorityClassName, string> = {
  realtime: 'interrupt handlers; preempts everything',
  interactive: 'someone is waiting for it',
  normal: 'default work',
  background: 'runs when nothing more urgent waits',
  idle: 'only when the model is otherwise free',
};

function ReniceForm({ pid }: { pid: number }) {
  const info = useKernelStore(selectProcess(pid));
  const renice = useKernelStore((state) => state.renice);
  const close = useKernelStore((state) => state.openRenice);
  const [priorityClass, setPriorityClass] = useState<PriorityClassName>(info?.priority.class ?? 'normal');
  const [nice, setNice] = useState(String(info?.priority.nice ?? 0));
  const [saving, setSaving] = useState(false);
  const niceValue = Number(nice);
  const niceValid = nice.trim() !== '' && Number.isInteger(niceValue) && niceValue >= -20 && niceValue <= 19;

  const submit = async (event: FormEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    if (!niceValid) return;
    setSaving(true);
    const done = await renice(pid, { class: priorityClass, nice: niceValue });
    setSaving(false);
    if (done) close(null);
  };

  return (
    <ModalDialog title={`Renice ${info ? `${info.name} (pid ${pid})` : `process ${pid}`}`} onCancel={() => close(null)} className="renice-dialog">
      <form className="dialog-body" onSubmit={(event) => void submit(event)}>
        <label className="field">
          <span>Priority class</span>
          <select data-autofocus value={priorityClass} onChange={(event) => setPriorityClass(PriorityClass.parse(event.target.value))}>
            {PriorityClass.options.map((name) => (
              <option key={name} value={name}>
                {name}: {CLASS_HELP[name]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Nice (−20 most favoured … 19 least)</span>
          <input type="number" min={-20} max={19} step={1} value={nice} aria-invalid={!niceValid} onChange={(event) => setNice(event.target.value)} />
        </label>
        <div className="dialog-actions">
          <button type="button" className="quiet" onClick={() => close(null)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!niceValid || saving}>
            {saving ? 'Applying…' : 'Apply'}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

/** Changes a process's class and niceness; opened from a row's Renice button. */
export function ReniceDialog() {
  const pid = useKernelStore(selectRenicing);
  return pid === null ? null : <ReniceForm key={pid} pid={pid} />;
}
