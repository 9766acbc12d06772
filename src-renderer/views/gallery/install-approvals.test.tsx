// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kernelStore } from '../../store/kernel-store.js';
import { emptyToolPackages } from '../../store/tools.slice.js';
import { manifest } from '../../test-support/kernel-fixtures.js';
import { installedTool, toolKernel } from '../../test-support/tool-fixtures.js';
import { InstallDialog } from './install-dialog.js';

const agent = { ...manifest, id: 'reader', name: 'Reader', tools: ['calculator'], capabilities: ['clock', 'net:api.github.com', 'fs:read:/tmp'] };

beforeEach(() => {
  kernelStore.setState({ agents: [agent], tools: [], toolPackages: emptyToolPackages, installing: 'reader', errors: [] });
  kernelStore.getState().connectionOpened(toolKernel([installedTool('calculator')]).client);
});

afterEach(cleanup);

const box = (capability: string) => screen.getByRole('checkbox', { name: new RegExp(capability.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) }) as HTMLInputElement;

describe('install dialog approvals', () => {
  it('pre-ticks nothing risky, and the start button says what it grants', async () => {
    render(<InstallDialog />);
    await act(async () => {});
    expect(box('clock').checked).toBe(true);
    expect(box('net:api.github.com').checked).toBe(false);
    expect(box('fs:read:/tmp').checked).toBe(false);
    expect(screen.getByRole('button', { name: 'Grant 1 permission and start' })).toBeTruthy();

    fireEvent.click(box('clock'));
    expect(screen.getByRole('button', { name: 'Start without these permissions' })).toBeTruthy();
    fireEvent.click(box('net:api.github.com'));
    fireEvent.click(box('fs:read:/tmp'));
    expect(screen.getByRole('button', { name: 'Grant 2 permissions and start' })).toBeTruthy();
  });
});
