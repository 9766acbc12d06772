// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kernelStore } from '../../store/kernel-store.js';
import { emptyToolPackages } from '../../store/tools.slice.js';
import { manifest } from '../../test-support/kernel-fixtures.js';
import { installedTool, toolKernel } from '../../test-support/tool-fixtures.js';
import { InstallDialog } from './install-dialog.js';

const agent = { ...manifest, id: 'scraper', name: 'Scraper', tools: ['calculator', 'page_fetch', 'page_parse'], capabilities: [] };

beforeEach(() => {
  kernelStore.setState({ agents: [agent], tools: [], toolPackages: emptyToolPackages, installing: 'scraper', errors: [] });
});

afterEach(cleanup);

describe('install dialog', () => {
  it('names the tools the agent needs that are not installed, and will not start it', async () => {
    const kernel = toolKernel([installedTool('calculator')]);
    kernelStore.getState().connectionOpened(kernel.client);
    render(<InstallDialog />);
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe('Scraper needs tools that are not installed: page_fetch, page_parse.It cannot run until they are installed (Sandbox → Tools, or amk tools install).'),
    );
    expect(kernel.call).toHaveBeenCalledWith('tools.installed', {});
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 'scrape it' } });
    expect(screen.getByRole('button', { name: 'Start' }).hasAttribute('disabled')).toBe(true);
  });

  it('starts as before when every tool is there', async () => {
    const kernel = toolKernel([installedTool('calculator'), installedTool('page_fetch'), installedTool('page_parse', { source: 'installed' })]);
    kernelStore.getState().connectionOpened(kernel.client);
    render(<InstallDialog />);
    await screen.findByRole('dialog', { name: /Install Scraper/ });
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 'scrape it' } });
    await expect.poll(() => kernelStore.getState().toolPackages.installed?.length).toBe(3);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('button', { name: 'Start' }).hasAttribute('disabled')).toBe(false);
  });
});
