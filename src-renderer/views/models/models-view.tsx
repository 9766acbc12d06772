import { useEffect } from 'react';
import { useKernelStore } from '../../store/kernel-store.js';
import { CoresPanel } from './cores-panel.js';
import { HardwarePanel } from './hardware-panel.js';
import { ImportZone, useFileDrop } from './import-zone.js';
import { InstalledModels } from './installed-models.js';
import { ModelCatalog } from './model-catalog.js';

/** Models: the hardware, what is installed and in use, the cores inference runs on, the catalogue with downloads, and import. */
export function ModelsView() {
  const refresh = useKernelStore((state) => state.refreshModels);
  const importFile = useKernelStore((state) => state.importModelFile);
  const { dropping, handlers } = useFileDrop((file) => void importFile(file));
  // A download that stops (cancelled, failed) may leave a partial file: the overview says so.
  const stopped = useKernelStore((state) => Object.values(state.models.downloads).filter((download) => download.state === 'failed').length);
  useEffect(() => {
    void refresh();
  }, [refresh, stopped]);
  return (
    <div className="view-tiles models-view" {...handlers} data-dropping={dropping || undefined}>
      <HardwarePanel />
      <InstalledModels />
      <CoresPanel />
      <ImportZone dropping={dropping} />
      <ModelCatalog />
    </div>
  );
}
