// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KernelClient, McpServerStatus } from '../../../src-shared/index.js';
import { kernelStore } from '../../store/kernel-store.js';
import { McpServersPanel } from './mcp-servers-panel.js';

function status(name: string, overrides: Partial<McpServerStatus> = {}): McpServerStatus {
  return {
    name,
    transport: { kind: 'stdio', command: 'node', args: ['server.js'], env: {}, network: false, folders: [] },
    timeoutMs: 10_000,
    health: 'healthy',
    error: null,
    tools: [],
    skipped: [],
    restarts: 0,
    checkedAt: null,
    sandbox: 'bubblewrap',
    network: false,
    sandboxWarning: null,
    ...overrides,
  };
}

let servers: McpServerStatus[] = [];
beforeEach(() => {
  const call = vi.fn(async (method: string) => (method === 'mcp.servers.list' ? servers : undefined));
  kernelStore.setState({ errors: [] });
  kernelStore.getState().connectionOpened({ call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient);
});
afterEach(cleanup);

describe('MCP servers panel', () => {
  it('labels a native server as running outside the sandbox with your rights, and says what confines it', async () => {
    servers = [status('files'), status('web', { transport: { kind: 'stdio', command: 'fetcher', args: [], env: {}, network: true, folders: ['/srv/data'] }, network: true })];
    render(<McpServersPanel />);
    const files = within(await screen.findByRole('row', { name: /files/ }));
    expect(files.getByText('Runs outside the sandbox, with your rights')).toBeTruthy();
    expect(files.getByText('Confined by bubblewrap: no home, no network')).toBeTruthy();
    const web = within(screen.getByRole('row', { name: /web/ }));
    expect(web.getByText('Confined by bubblewrap: no home, network allowed; read-write: /srv/data')).toBeTruthy();
    expect(screen.queryByRole('note')).toBeNull();
  });

  it('warns where nothing confines the servers, with how to get bubblewrap', async () => {
    const warning = 'native MCP servers run unconfined, with your rights: bubblewrap (bwrap) is not installed; install bubblewrap (apt install bubblewrap, dnf install bubblewrap) to confine them';
    servers = [status('files', { sandbox: 'none', network: true, sandboxWarning: warning })];
    render(<McpServersPanel />);
    const row = within(await screen.findByRole('row', { name: /files/ }));
    expect(row.getByText('Runs outside the sandbox, with your rights')).toBeTruthy();
    expect(row.getByText(`Not confined: ${warning}`)).toBeTruthy();
    expect(screen.getByRole('note').textContent).toContain('apt install bubblewrap');
  });
});
