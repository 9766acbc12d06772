// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelStore } from '../../store/kernel-store.js';
import { emptyCores } from '../../store/cores.slice.js';
import { coreInfo, coresKernel, localCore } from '../../test-support/core-fixtures.js';
import { kernelInfo, modelInfo, processInfo } from '../../test-support/kernel-fixtures.js';
import { ProcessRow } from '../task-manager/process-row.js';
import { StatusBar } from '../status-bar.js';
import { checkCoreDraft, CoresPanel } from './cores-panel.js';

function connect(initial = [localCore(), coreInfo('gpu-box', { health: 'down', reason: 'connection refused', busySlots: 0 }), coreInfo('vllm', { kind: 'openai', url: 'http://10.0.0.5:8000/v1', capabilities: { kvSaveRestore: false, slotPinning: false, grammar: true }, tokenEnv: 'VLLM_TOKEN', busySlots: 1, queued: 2, latencyMs: 12.4 })]) {
  const kernel = coresKernel(initial);
  kernelStore.setState({ errors: [], cores: emptyCores, info: kernelInfo() });
  kernelStore.getState().connectionOpened(kernel.client);
  return kernel;
}

const type = (label: string, value: string): void => {
  fireEvent.change(screen.getByRole('textbox', { name: label }), { target: { value } });
};

afterEach(cleanup);

describe('cores panel', () => {
  it('lists each core with health and reason, load, latency, and what it cannot do in words', async () => {
    connect();
    render(<CoresPanel />);
    const down = within(await screen.findByRole('row', { name: /gpu-box/ }));
    expect(down.getByText('down')).toBeTruthy();
    expect(down.getByText('connection refused')).toBeTruthy();
    const vllm = within(screen.getByRole('row', { name: /vllm/ }));
    expect(vllm.getByText('OpenAI-compatible', { exact: false })).toBeTruthy();
    expect(vllm.getByText('1/2')).toBeTruthy();
    expect(vllm.getByText('12 ms')).toBeTruthy();
    expect(vllm.getByText('no KV save/restore: moved agents re-prefill')).toBeTruthy();
    expect(vllm.getByText(/token from \$VLLM_TOKEN/)).toBeTruthy();
    // The local core cannot be removed; remote ones can.
    const local = within(screen.getByRole('row', { name: /^local/ }));
    expect(local.queryByRole('button')).toBeNull();
    expect(screen.getByText('2 of 3 up')).toBeTruthy();
  });

  it('adds a core from the form and refuses a token pasted where the variable name goes', async () => {
    const kernel = connect([localCore()]);
    render(<CoresPanel />);
    await screen.findByRole('row', { name: /^local/ });
    type('Core name', 'box2');
    type('Core URL', 'http://127.0.0.1:9001');
    type('Token variable', 'sk-live-abc123');
    expect(screen.getByRole('note').textContent).toMatch(/NAME of an environment variable/);
    expect((screen.getByRole('button', { name: 'Add core' }) as HTMLButtonElement).disabled).toBe(true);

    type('Token variable', 'BOX2_TOKEN');
    fireEvent.click(screen.getByRole('button', { name: 'Add core' }));
    const row = within(await screen.findByRole('row', { name: /box2/ }));
    expect(row.getByText(/token from \$BOX2_TOKEN/)).toBeTruthy();
    expect(kernel.call).toHaveBeenCalledWith('cores.add', { name: 'box2', kind: 'llama-server', url: 'http://127.0.0.1:9001', tokenEnv: 'BOX2_TOKEN' });
  });

  it('removes a remote core only after confirmation', async () => {
    const kernel = connect();
    render(<CoresPanel />);
    fireEvent.click(await screen.findByRole('button', { name: 'Remove core gpu-box' }));
    expect(kernel.call).not.toHaveBeenCalledWith('cores.remove', expect.anything());
    expect(screen.getByText(/Its agents move to another core/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove for good' }));
    await expect.poll(() => screen.queryByRole('row', { name: /gpu-box/ })).toBeNull();
    expect(kernel.call).toHaveBeenCalledWith('cores.remove', { name: 'gpu-box' });
  });

  it('keeps credentials out of the URL', () => {
    const draft = { name: 'a', kind: 'openai' as const, tokenEnv: '', model: '' };
    expect(checkCoreDraft({ ...draft, url: 'http://user:secret@10.0.0.5:8000' })).toEqual({ problem: expect.stringMatching(/credentials out of the URL/) });
    expect(checkCoreDraft({ ...draft, url: 'http://10.0.0.5:8000/v1?api_key=x' })).toEqual({ problem: expect.stringMatching(/credentials out of the URL/) });
    expect(checkCoreDraft({ ...draft, url: 'file:///etc/passwd' })).toEqual({ problem: expect.stringMatching(/http/) });
    expect(checkCoreDraft({ ...draft, name: 'bad name', url: 'http://10.0.0.5:8000' })).toEqual({ problem: expect.stringMatching(/letters, digits/) });
    expect(checkCoreDraft({ ...draft, url: 'http://10.0.0.5:8000', model: 'llama-3' })).toEqual({ config: { name: 'a', kind: 'openai', url: 'http://10.0.0.5:8000', model: 'llama-3' } });
  });

  it('the status bar counts the cores that are up, and the process row names its core', async () => {
    connect();
    await kernelStore.getState().refreshCores();
    kernelStore.setState({ info: kernelInfo({ model: modelInfo() }), processes: { 7: processInfo(7, { state: 'running', core: 'vllm' }) } });
    render(
      <>
        <StatusBar />
        <table>
          <tbody>
            <ProcessRow pid={7} />
          </tbody>
        </table>
      </>,
    );
    const cores = screen.getByRole('button', { name: 'Cores: 2 of 3 up (details in Models)' });
    expect(cores.textContent).toBe('2/3 up');
    expect(cores.closest('div')?.getAttribute('title')).toBe('gpu-box: down (connection refused)');
    expect(within(screen.getByRole('row')).getByText('vllm')).toBeTruthy();
    // The slots agents can run on: the local model's 4 and the up remote's 2 (the down core's do not count).
    expect(screen.getByText('Slots').closest('div')?.textContent).toBe('Slots1/6 busy');
  });
});
