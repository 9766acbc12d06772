// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KernelClient } from '../../../src-shared/index.js';
import { kernelStore } from '../../store/kernel-store.js';
import { kernelInfo, manifest, modelInfo, processInfo, stamp } from '../../test-support/kernel-fixtures.js';
import { KillDialog } from './kill-dialog.js';
import { ProcessTable } from './process-table.js';

let call: ReturnType<typeof vi.fn>;

beforeEach(() => {
  kernelStore.setState({ info: kernelInfo({ model: modelInfo(), modelError: null }), processes: {}, rates: {}, killing: null, filter: '', errors: [] });
  call = vi.fn(async () => processInfo(1, { state: 'running' }));
  kernelStore.getState().connectionOpened({ call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient);
  kernelStore.getState().ingest([stamp({ type: 'proc.spawned', process: processInfo(1, { state: 'running', slot: 0 }), manifest })]);
});

afterEach(cleanup);

const row = () => screen.getByRole('button', { name: /^Open console of process 1/ }).closest('tr')!;

describe('kill', () => {
  it('asks first: Cancel kills nothing, Kill kills', async () => {
    render(
      <>
        <ProcessTable />
        <KillDialog />
      </>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Kill process 1' }));
    const dialog = screen.getByRole('dialog', { name: /^Kill Looper \(pid 1\)\?/ });
    // Enter on the dialog as it opens must not kill: focus is on Cancel.
    expect(document.activeElement?.textContent).toBe('Cancel');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(call).not.toHaveBeenCalledWith('proc.kill', expect.anything());

    fireEvent.click(screen.getByRole('button', { name: 'Kill process 1' }));
    await act(async () => fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Kill' })));
    expect(call).toHaveBeenCalledWith('proc.kill', { pid: 1 });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('a killed process reads "killed", one that ended by itself "exited"', () => {
    render(<ProcessTable />);
    act(() => kernelStore.getState().ingest([stamp({ type: 'proc.exited', pid: 1, state: 'exited', exit: { code: 137, reason: 'killed' } })]));
    expect(within(row()).getByText('killed').getAttribute('title')).toBe('exit 137: killed');
    act(() => kernelStore.getState().ingest([stamp({ type: 'proc.spawned', process: processInfo(2, { state: 'running' }), manifest })]));
    act(() => kernelStore.getState().ingest([stamp({ type: 'proc.exited', pid: 2, state: 'exited', exit: { code: 0, reason: 'answered' } })]));
    const second = screen.getByRole('button', { name: /^Open console of process 2/ }).closest('tr')!;
    expect(within(second).getByText('exited')).toBeTruthy();
  });
});
