// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ToolPackageReview } from '../../../src-shared/index.js';
import { KernelCallError } from '../../../src-shared/index.js';
import { kernelStore } from '../../store/kernel-store.js';
import { emptyToolPackages } from '../../store/tools.slice.js';
import { SHA, installedTool, toolKernel, toolReview } from '../../test-support/tool-fixtures.js';
import { ToolsPanel } from '../sandbox/tools-panel.js';
import { ToolReviewDialog } from './tool-review-dialog.js';

let kernel: ReturnType<typeof toolKernel>;

function connect(review: ToolPackageReview = toolReview()): void {
  kernel = toolKernel([installedTool('calculator')], review);
  kernelStore.setState({ toolPackages: emptyToolPackages, errors: [] });
  kernelStore.getState().connectionOpened(kernel.client);
  kernelStore.getState().setToolStager((file) => kernel.client.call('tools.stage', { path: `/picked/${file.name}` }));
}

/** Opens the dialog on a review, as staging a package would. */
function open(review: ToolPackageReview, openerId: string | null = null): void {
  act(() => kernelStore.setState({ toolPackages: { ...emptyToolPackages, review, openerId } }));
}

beforeEach(() => connect());
afterEach(cleanup);

describe('tool review dialog', () => {
  it('shows who signed it, its digest and size, what it can ask for in plain words, its limits and imports', () => {
    render(<ToolReviewDialog />);
    open(toolReview({ requires: [{ kind: 'net', arg: 'url' }, { kind: 'fs:read', arg: 'path' }], wasi: true, hostFunctions: ['kernel_http', 'kernel_fs'] }));
    const dialog = within(screen.getByRole('dialog', { name: 'Install the tool page_fetch?' }));
    expect(dialog.getByText('Fetches a page.')).toBeTruthy();
    expect(dialog.getByText('unsigned')).toBeTruthy();
    expect(dialog.getByText(/Not signed: nothing says who made it/)).toBeTruthy();
    expect(dialog.getByLabelText('Package sha256').textContent).toBe(SHA);
    expect(dialog.getByText('20.0 KiB')).toBeTruthy();
    const asks = within(screen.getByRole('region', { name: 'What it can ask for' })).getAllByRole('listitem');
    expect(asks.map((item) => item.textContent)).toEqual(['network: the host named by its url argument', 'read files: the path in path']);
    expect(within(asks[0]!).getByText('url').tagName).toBe('CODE');
    expect(dialog.getByText('at most 1.0 MiB')).toBeTruthy();
    expect(dialog.getByText('at most 2 s a call')).toBeTruthy();
    expect(dialog.getByText('at most 64.0 KiB a call')).toBeTruthy();
    expect(dialog.getByText('kernel_fs')).toBeTruthy();
    expect(dialog.getByText('uses the WASI subset the kernel offers')).toBeTruthy();
    // Cancel is where focus lands: Enter on a surprise does not install.
    expect(document.activeElement?.textContent).toBe('Cancel');
  });

  it('installs an unsigned tool only once its checkbox is ticked, and says so to the kernel', async () => {
    render(<ToolReviewDialog />);
    open(toolReview());
    const install = screen.getByRole('button', { name: 'Install' });
    expect(install.hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Install this unsigned tool' }));
    expect(install.hasAttribute('disabled')).toBe(false);
    await act(async () => {
      fireEvent.click(install);
      await Promise.resolve();
    });
    expect(kernel.call).toHaveBeenCalledWith('tools.install', { reviewId: 'rev-1', allowUnsigned: true });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(kernel.tools().map((tool) => tool.name)).toEqual(['calculator', 'page_fetch']);
  });

  it('installs a package signed by a trusted key without the extra tick', async () => {
    render(<ToolReviewDialog />);
    open(toolReview({ signature: 'trusted', publisher: 'Acme', keyId: '0123456789abcdef' }));
    expect(screen.queryByRole('checkbox')).toBeNull();
    expect(screen.getByText(/Signed by Acme with a key you trust \(0123456789abcdef\)/)).toBeTruthy();
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Install' }));
      await Promise.resolve();
    });
    expect(kernel.call).toHaveBeenCalledWith('tools.install', { reviewId: 'rev-1' });
  });

  it('cannot install a package with problems or a broken signature', () => {
    render(<ToolReviewDialog />);
    open(toolReview({ problems: ['a tool named page_fetch is already installed'] }));
    expect(within(screen.getByRole('region', { name: 'Problems' })).getByText('a tool named page_fetch is already installed')).toBeTruthy();
    expect(screen.queryByRole('checkbox')).toBeNull();
    expect(screen.getByRole('button', { name: 'Install' }).hasAttribute('disabled')).toBe(true);

    open(toolReview({ reviewId: 'rev-2', signature: 'invalid', publisher: 'Acme', keyId: '0123456789abcdef' }));
    expect(screen.getByText(/The signature does not match the files/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Install' }).hasAttribute('disabled')).toBe(true);
  });

  it('shows the kernel refusal inside the dialog and stays open', async () => {
    render(<ToolReviewDialog />);
    open(toolReview({ signature: 'untrusted-key', publisher: 'Acme', keyId: '0123456789abcdef' }));
    expect(screen.getByText(/with a key you have not trusted \(0123456789abcdef\)/)).toBeTruthy();
    kernel.refuse('tools.install', new KernelCallError({ code: 'INVALID_STATE', message: 'page_fetch is already installed' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Install this unsigned tool' }));
    fireEvent.click(screen.getByRole('button', { name: 'Install' }));
    expect((await screen.findByRole('alert')).textContent).toBe('page_fetch is already installed');
    expect(screen.getByRole('dialog')).toBeTruthy();
  });

  it('opens from the Install a tool… picker, discards on Cancel, and gives focus back to the picker', async () => {
    render(
      <>
        <ToolsPanel />
        <ToolReviewDialog />
      </>,
    );
    const picker = screen.getByRole('button', { name: 'Install a tool…' });
    const input = screen.getByLabelText('Tool package to install');
    await act(async () => {
      fireEvent.change(input, { target: { files: [new File([new Uint8Array(4)], 'page.tar.gz')] } });
      await Promise.resolve();
    });
    const dialog = await screen.findByRole('dialog', { name: 'Install the tool page_fetch?' });
    expect(kernel.call).toHaveBeenCalledWith('tools.stage', { path: '/picked/page.tar.gz' });
    expect(dialog.contains(document.activeElement)).toBe(true);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(kernel.call).toHaveBeenCalledWith('tools.discard', { reviewId: 'rev-1' });
    expect(document.activeElement).toBe(picker);
  });

  it('lists the tools with their source, and removes an installed one only after confirming', async () => {
    kernel = toolKernel([installedTool('calculator'), installedTool('page_fetch', { source: 'installed', sha256: SHA, signature: 'unsigned', requires: [{ kind: 'net', arg: 'url' }], hostFunctions: ['kernel_http'] })]);
    kernelStore.getState().connectionOpened(kernel.client);
    render(<ToolsPanel />);
    const row = (await screen.findByText('page_fetch')).closest('tr')!;
    expect(within(row).getByText('installed')).toBeTruthy();
    expect(within(row).getByText('unsigned')).toBeTruthy();
    expect(within(row).getByText(SHA.slice(0, 12))).toBeTruthy();
    expect(within(row).getByText('network (url)')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Remove calculator' })).toBeNull();
    // Third-party tools come first: they are the ones to review and remove.
    expect(screen.getAllByRole('rowheader').map((cell) => cell.textContent)).toEqual(['page_fetch', 'calculator']);

    fireEvent.click(within(row).getByRole('button', { name: 'Remove page_fetch' }));
    expect(kernel.call).not.toHaveBeenCalledWith('tools.remove', expect.anything());
    fireEvent.click(within(row).getByRole('button', { name: 'Remove for good' }));
    await waitFor(() => expect(screen.queryByText('page_fetch')).toBeNull());
    expect(kernel.call).toHaveBeenCalledWith('tools.remove', { name: 'page_fetch' });
  });

  it('refuses a dropped file that is not a package, and says how folders install', () => {
    render(<ToolsPanel />);
    const zone = screen.getByRole('region', { name: 'Tools' });
    const files = [new File(['x'], 'notes.txt')];
    fireEvent.dragOver(zone, { dataTransfer: { types: ['Files'], files } });
    fireEvent.drop(zone, { dataTransfer: { types: ['Files'], files } });
    expect(screen.getByRole('alert').textContent).toBe('notes.txt is not a tool package (.tar.gz, .tgz or .zip); a folder installs with `amk tools install DIR`');
    expect(kernel.call).not.toHaveBeenCalledWith('tools.stage', expect.anything());
  });
});
