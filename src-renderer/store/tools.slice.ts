import type { InstalledTool, ToolPackageReview } from '../../src-shared/index.js';
import type { SliceCreator } from './store-types.js';

/** How this page hands a picked or dropped package to the kernel for review: by path (Electron) or by upload (browser). */
export type ToolPackageStager = (file: File) => Promise<ToolPackageReview>;

/** The archive kinds the kernel unpacks; a folder cannot leave a browser, so it is named apart. */
export const TOOL_PACKAGE_EXTENSIONS = ['.tar.gz', '.tgz', '.zip'] as const;

export function isToolPackageName(name: string): boolean {
  const lower = name.toLowerCase();
  return TOOL_PACKAGE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** A package on its way to review, or the review the user is reading. */
export interface ToolReviewState {
  /** The file being sent or staged; null once the review is back (or failed). */
  staging: string | null;
  /** Why the last staging failed, shown in the Tools section. */
  stageError: string | null;
  /** The staged package the review dialog shows; nothing is installed until the user approves it. */
  review: ToolPackageReview | null;
  /** The id of the control that opened the review: focus goes back there when it closes. */
  openerId: string | null;
  /** An install or discard on its way. */
  busy: boolean;
  /** Why the install failed, shown in the dialog. */
  error: string | null;
}

export interface ToolsState extends ToolReviewState {
  /** The last tools.installed read; null until something asks. */
  installed: readonly InstalledTool[] | null;
}

/** Third-party tool packages (Sandbox view's Tools section, review dialog): read when shown and after each change. */
export interface ToolsSlice {
  toolPackages: ToolsState;
  toolStager: ToolPackageStager | null;
  setToolStager(stager: ToolPackageStager | null): void;
  refreshInstalledTools(): Promise<void>;
  /** Sends a picked or dropped package for review; refuses what is not an archive before sending anything. */
  stageToolPackage(file: File, openerId?: string): Promise<void>;
  /** Installs the package under review; false (and the reason in the dialog) when the kernel refuses. */
  installReviewedTool(allowUnsigned: boolean): Promise<boolean>;
  /** Closes the review and asks the kernel to drop the staged files. */
  discardReviewedTool(): Promise<void>;
  removeTool(name: string): Promise<boolean>;
}

export const emptyToolPackages: ToolsState = { installed: null, staging: null, stageError: null, review: null, openerId: null, busy: false, error: null };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const createToolsSlice: SliceCreator<ToolsSlice> = (set, get) => {
  const update = (change: Partial<ToolsState>, action: string): void => set((state) => ({ toolPackages: { ...state.toolPackages, ...change } }), false, action);
  /** The tool list the gallery reads (`tools.list`) changes with every install and removal. */
  const refreshAll = async (): Promise<void> => {
    const tools = await get().callKernel('tools.list', {});
    if (tools) set({ tools }, false, 'tools/list');
    await get().refreshInstalledTools();
  };
  return {
    toolPackages: emptyToolPackages,
    toolStager: null,
    setToolStager: (toolStager) => set({ toolStager }, false, 'tools/stager'),
    refreshInstalledTools: async () => {
      const installed = await get().callKernel('tools.installed', {});
      if (installed) update({ installed }, 'tools/installed');
    },
    stageToolPackage: async (file, openerId) => {
      if (!isToolPackageName(file.name)) {
        update({ stageError: `${file.name} is not a tool package (.tar.gz, .tgz or .zip); a folder installs with \`amk tools install DIR\`` }, 'tools/stage-refused');
        return;
      }
      const stager = get().toolStager;
      if (!stager) {
        update({ stageError: 'this window cannot send files to the kernel; use `amk tools install FILE` on the kernel machine' }, 'tools/stage-refused');
        return;
      }
      if (get().toolPackages.staging !== null || get().toolPackages.review !== null) {
        update({ stageError: `finish the review of ${get().toolPackages.review?.name ?? get().toolPackages.staging} first` }, 'tools/stage-refused');
        return;
      }
      update({ staging: file.name, stageError: null }, 'tools/staging');
      try {
        const review = await stager(file);
        update({ staging: null, review, openerId: openerId ?? null, busy: false, error: null }, 'tools/review');
      } catch (error) {
        update({ staging: null, stageError: `${file.name}: ${messageOf(error)}` }, 'tools/stage-failed');
      }
    },
    installReviewedTool: async (allowUnsigned) => {
      const { review } = get().toolPackages;
      const client = get().client;
      if (!review) return false;
      if (!client) {
        update({ error: 'not connected to the kernel' }, 'tools/install-failed');
        return false;
      }
      update({ busy: true, error: null }, 'tools/installing');
      try {
        // Called directly, not through callKernel: the refusal belongs in the dialog, beside what was refused.
        await client.call('tools.install', { reviewId: review.reviewId, ...(allowUnsigned ? { allowUnsigned: true } : {}) });
      } catch (error) {
        update({ busy: false, error: messageOf(error) }, 'tools/install-failed');
        return false;
      }
      update({ review: null, busy: false, error: null }, 'tools/installed-one');
      await refreshAll();
      return true;
    },
    discardReviewedTool: async () => {
      const { review } = get().toolPackages;
      if (!review) return;
      // Closed at once: the staged files are the kernel's to clean up, and a failure to say so goes to the banner.
      update({ review: null, busy: false, error: null }, 'tools/discard');
      await get().callKernel('tools.discard', { reviewId: review.reviewId });
    },
    removeTool: async (name) => {
      const done = await get().callKernel('tools.remove', { name });
      if (!done) return false;
      update({ installed: get().toolPackages.installed?.filter((tool) => tool.name !== name) ?? null }, 'tools/removed');
      await refreshAll();
      return true;
    },
  };
};
