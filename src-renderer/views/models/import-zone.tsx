import { useRef, useState, type DragEvent } from 'react';
import { useKernelStore } from '../../store/kernel-store.js';
import { formatBytes } from '../common/format.js';
import { ProgressBar } from './progress-bar.js';

const hasFiles = (event: DragEvent): boolean => Array.from(event.dataTransfer.types).includes('Files');

/** Import a local GGUF: the file dialog, or a file dropped anywhere on the Models view. */
export function ImportZone({ dropping }: { dropping: boolean }) {
  const importFile = useKernelStore((state) => state.importModelFile);
  const uploads = useKernelStore((state) => state.models.uploads);
  const input = useRef<HTMLInputElement>(null);
  return (
    <section className={dropping ? 'panel import-zone dropping' : 'panel import-zone'} aria-labelledby="import-title">
      <div className="panel-head">
        <h2 id="import-title">Import</h2>
      </div>
      <p>
        Drop a <code>.gguf</code> file on this screen, or{' '}
        <button type="button" onClick={() => input.current?.click()}>
          Choose a GGUF file…
        </button>
      </p>
      <input
        ref={input}
        type="file"
        accept=".gguf"
        aria-label="GGUF file to import"
        className="visually-hidden"
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = '';
          if (file) void importFile(file);
        }}
      />
      <ul aria-label="Imports" className="uploads">
        {uploads.map((upload) => (
          <li key={upload.name} data-state={upload.state}>
            <code>{upload.name}</code>{' '}
            {upload.state === 'sending' || upload.state === 'checking' ? (
              <ProgressBar
                label={`Importing ${upload.name}`}
                fraction={upload.totalBytes > 0 ? upload.sentBytes / upload.totalBytes : null}
                detail={upload.state === 'checking' ? 'checking the file' : `${formatBytes(upload.sentBytes)} of ${formatBytes(upload.totalBytes)}`}
              />
            ) : upload.state === 'done' ? (
              <span className="state-pill in-use">imported</span>
            ) : (
              <span className="model-missing">{upload.error}</span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Drag handlers for the whole view: a dragged file lights the import zone, a drop imports it. */
export function useFileDrop(onFile: (file: File) => void) {
  const [dropping, setDropping] = useState(false);
  return {
    dropping,
    handlers: {
      onDragOver: (event: DragEvent) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDropping(true);
      },
      onDragLeave: (event: DragEvent) => {
        if (event.currentTarget === event.target) setDropping(false);
      },
      onDrop: (event: DragEvent) => {
        if (!hasFiles(event)) return;
        // Never let the window navigate to a dropped file.
        event.preventDefault();
        setDropping(false);
        for (const file of Array.from(event.dataTransfer.files)) onFile(file);
      },
    },
  };
}
