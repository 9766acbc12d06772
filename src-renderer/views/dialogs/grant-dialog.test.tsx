// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KernelClient } from '../../../src-shared/index.js';
import { emptySandbox } from '../../store/sandbox.slice.js';
import { kernelStore } from '../../store/kernel-store.js';
import { grantRequest, stamp } from '../../test-support/kernel-fixtures.js';
import { GrantDialog } from './grant-dialog.js';

let call: ReturnType<typeof vi.fn>;

beforeEach(() => {
  call = vi.fn(async (_method: string, params: { requestId: string }) => grantRequest(params.requestId));
  kernelStore.setState({ sandbox: emptySandbox, deciding: {}, errors: [] });
  kernelStore.getState().connectionOpened({ call, subscribe: () => () => {}, close: () => {} } as unknown as KernelClient);
});

afterEach(cleanup);

const request = (id: string, overrides: Parameters<typeof grantRequest>[1] = {}) =>
  stamp({ type: 'grant.requested', request: grantRequest(id, { requestedAt: Date.now(), expiresAt: Date.now() + 60_000, ...overrides }) });

describe('grant dialog', () => {
  it('shows nothing while no request waits', () => {
    render(<GrantDialog />);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('shows who asks for exactly what, grouped asks as ×N, the queue and the countdown', () => {
    render(<GrantDialog />);
    act(() => kernelStore.getState().ingest([request('r1', { count: 3 }), request('r2', { agentName: 'Other', capability: 'fs:write:/tmp/out', risk: 'high' })]));

    const dialog = screen.getByRole('alertdialog', { name: 'Fetcher asks for access' });
    const facts = within(dialog);
    expect(facts.getByText('connect to 127.0.0.1 on port 8080')).toBeTruthy();
    expect(facts.getByText('×3').textContent).toBe('×3');
    expect(facts.getByText('1 more waiting')).toBeTruthy();
    expect(facts.getByText('127.0.0.1')).toBeTruthy();
    expect(facts.getByText('8080')).toBeTruthy();
    expect(facts.getByLabelText('Arguments of the call').textContent).toBe('{"url":"http://127.0.0.1:8080/page"}');
    expect(facts.getByRole('timer').textContent).toMatch(/^Denied automatically in (59|60) s$/);
    // Deny is where focus lands: Enter on an unexpected dialog refuses.
    expect(document.activeElement?.textContent).toBe('Deny');
  });

  it('answers the shown request, moves on to the next at once, and closing it denies', () => {
    render(<GrantDialog />);
    act(() => kernelStore.getState().ingest([request('r1'), request('r2', { agentName: 'Other', capability: 'fs:write:/tmp/out', risk: 'high' })]));

    fireEvent.click(screen.getByRole('button', { name: 'Allow for this session' }));
    expect(call).toHaveBeenCalledWith('grants.decide', { requestId: 'r1', decision: 'allow-session' });

    const next = screen.getByRole('alertdialog', { name: 'Other asks for access' });
    expect(within(next).getByText('write files')).toBeTruthy();
    expect(within(next).getByText('/tmp/out')).toBeTruthy();
    fireEvent.keyDown(next, { key: 'Escape' });
    expect(call).toHaveBeenCalledWith('grants.decide', { requestId: 'r2', decision: 'deny' });
  });

  it('offers standing denies: "Deny for this session" and "Never"', () => {
    render(<GrantDialog />);
    act(() => kernelStore.getState().ingest([request('r1'), request('r2', { agentName: 'Other' })]));
    fireEvent.click(screen.getByRole('button', { name: 'Deny for this session' }));
    expect(call).toHaveBeenCalledWith('grants.decide', { requestId: 'r1', decision: 'deny-session' });
    fireEvent.click(within(screen.getByRole('alertdialog', { name: 'Other asks for access' })).getByRole('button', { name: 'Never' }));
    expect(call).toHaveBeenCalledWith('grants.decide', { requestId: 'r2', decision: 'deny-always' });
  });

  it('never shows two requests at once, and drops one the kernel settled (a timeout)', () => {
    render(<GrantDialog />);
    act(() => kernelStore.getState().ingest([request('r1'), request('r2', { agentName: 'Other' })]));
    expect(screen.getAllByRole('alertdialog')).toHaveLength(1);
    act(() => kernelStore.getState().ingest([stamp({ type: 'grant.decided', requestId: 'r1', decision: 'deny', by: 'timeout' })]));
    expect(screen.getByRole('alertdialog', { name: 'Other asks for access' })).toBeTruthy();
    expect(screen.queryByText(/more waiting/)).toBeNull();
  });

  it('says a native MCP server runs outside the Wasm sandbox, with your rights, and how the kernel confines it', () => {
    render(<GrantDialog />);
    const summary = 'run `node server.js` as the MCP server files: it runs outside the Wasm sandbox, with your rights (confined by bubblewrap: no home folder, no network)';
    act(() => kernelStore.getState().ingest([request('r1', { agentName: 'Register MCP server files', capability: 'mcp-server:files', risk: 'high', summary })]));
    const dialog = within(screen.getByRole('alertdialog', { name: 'Register MCP server files asks for access' }));
    expect(dialog.getByText(summary)).toBeTruthy();
    expect(dialog.getByText('run a native command outside the Wasm sandbox, with your rights (register an MCP server)')).toBeTruthy();
  });
});
