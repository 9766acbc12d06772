// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import { KernelCallError } from '../../src-shared/index.js';
import { installedTool, toolKernel, toolReview } from '../test-support/tool-fixtures.js';
import { createKernelStore } from './kernel-store.js';

const pkg = (name: string) => new File([new Uint8Array([31, 139, 8])], name);

function connectedStore(review = toolReview()) {
  const store = createKernelStore();
  const kernel = toolKernel([installedTool('calculator')], review);
  store.getState().connectionOpened(kernel.client);
  const stager = vi.fn(() => Promise.resolve(review));
  store.getState().setToolStager(stager);
  return { store, kernel, stager };
}

describe('tools slice', () => {
  it('refuses what is not an archive before sending anything, and names the command for folders', async () => {
    const { store, stager } = connectedStore();
    await store.getState().stageToolPackage(pkg('my-tool'));
    expect(stager).not.toHaveBeenCalled();
    expect(store.getState().toolPackages.stageError).toBe('my-tool is not a tool package (.tar.gz, .tgz or .zip); a folder installs with `amk tools install DIR`');
    expect(store.getState().toolPackages.review).toBeNull();
  });

  it('stages a package for review, installs it only when asked, with the unsigned consent, then reads the tools again', async () => {
    const { store, kernel, stager } = connectedStore();
    await store.getState().stageToolPackage(pkg('Page.TGZ'), 'opener');
    expect(stager).toHaveBeenCalledTimes(1);
    expect(store.getState().toolPackages).toMatchObject({ review: { name: 'page_fetch' }, openerId: 'opener', staging: null, stageError: null });
    expect(kernel.call).not.toHaveBeenCalledWith('tools.install', expect.anything());

    expect(await store.getState().installReviewedTool(true)).toBe(true);
    expect(kernel.call).toHaveBeenCalledWith('tools.install', { reviewId: 'rev-1', allowUnsigned: true });
    const state = store.getState();
    expect(state.toolPackages.review).toBeNull();
    expect(state.toolPackages.installed?.map((tool) => tool.name)).toEqual(['calculator', 'page_fetch']);
    // The gallery's view of the tools follows too.
    expect(state.tools.map((tool) => tool.name)).toEqual(['calculator', 'page_fetch']);
  });

  it('keeps the review open with the reason when the kernel refuses the install, and puts nothing in the banner', async () => {
    const { store, kernel } = connectedStore();
    await store.getState().stageToolPackage(pkg('page.tar.gz'));
    kernel.refuse('tools.install', new KernelCallError({ code: 'INVALID_STATE', message: 'page_fetch is not signed: install it with allowUnsigned' }));
    expect(await store.getState().installReviewedTool(false)).toBe(false);
    expect(kernel.call).toHaveBeenCalledWith('tools.install', { reviewId: 'rev-1' });
    expect(store.getState().toolPackages).toMatchObject({ review: { reviewId: 'rev-1' }, busy: false, error: 'page_fetch is not signed: install it with allowUnsigned' });
    expect(store.getState().errors).toEqual([]);
    expect(kernel.tools().map((tool) => tool.name)).toEqual(['calculator']);
  });

  it('discards a review in the kernel when the user cancels, and one review at a time', async () => {
    const { store, kernel, stager } = connectedStore();
    await store.getState().stageToolPackage(pkg('page.zip'));
    await store.getState().stageToolPackage(pkg('other.zip'));
    expect(stager).toHaveBeenCalledTimes(1);
    expect(store.getState().toolPackages.stageError).toBe('finish the review of page_fetch first');
    await store.getState().discardReviewedTool();
    expect(kernel.call).toHaveBeenCalledWith('tools.discard', { reviewId: 'rev-1' });
    expect(store.getState().toolPackages.review).toBeNull();
  });

  it('says why a staging failed, and removes an installed tool', async () => {
    const { store, kernel, stager } = connectedStore();
    stager.mockRejectedValueOnce(new Error('tool.json is missing'));
    await store.getState().stageToolPackage(pkg('broken.tar.gz'));
    expect(store.getState().toolPackages).toMatchObject({ staging: null, review: null, stageError: 'broken.tar.gz: tool.json is missing' });

    await store.getState().stageToolPackage(pkg('page.tar.gz'));
    await store.getState().installReviewedTool(true);
    expect(await store.getState().removeTool('page_fetch')).toBe(true);
    expect(kernel.call).toHaveBeenCalledWith('tools.remove', { name: 'page_fetch' });
    expect(store.getState().toolPackages.installed?.map((tool) => tool.name)).toEqual(['calculator']);
  });

  it('tells the user to use the CLI where the page cannot send files', async () => {
    const { store } = connectedStore();
    store.getState().setToolStager(null);
    await store.getState().stageToolPackage(pkg('page.tar.gz'));
    expect(store.getState().toolPackages.stageError).toMatch(/amk tools install FILE/);
  });
});
