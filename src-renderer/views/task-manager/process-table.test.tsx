// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emptyCounters } from '../../../src-shared/index.js';
import { kernelStore } from '../../store/kernel-store.js';
import { kernelInfo, manifest, modelInfo, processInfo, stamp } from '../../test-support/kernel-fixtures.js';
import { AGENT_DRAG_TYPE } from '../common/agent-drag.js';
import type * as ContextBarModule from './context-bar.js';
import type { ContextBarProps } from './context-bar.js';
import { ProcessTable } from './process-table.js';

/** Every row renders one context bar: counting them counts row renders. */
const rendered: number[] = [];
vi.mock('./context-bar.js', async (importOriginal) => {
  const actual = await importOriginal<typeof ContextBarModule>();
  return {
    ContextBar: (props: ContextBarProps) => {
      rendered.push(props.pid);
      return actual.ContextBar(props);
    },
  };
});

beforeEach(() => {
  kernelStore.setState({
    info: kernelInfo({ model: modelInfo(), modelError: null }),
    processes: {},
    rates: {},
    installing: null,
    filter: '',
    sort: { key: 'pid', direction: 'ascending' },
  });
  kernelStore.getState().ingest([1, 2, 3].map((pid) => stamp({ type: 'proc.spawned', process: processInfo(pid, { state: 'running', slot: pid - 1 }), manifest })));
});

afterEach(cleanup);

describe('process table', () => {
  it('re-renders only the row whose counters changed', () => {
    render(<ProcessTable />);
    expect(screen.getAllByRole('row')).toHaveLength(4);
    rendered.length = 0;
    act(() => kernelStore.getState().ingest([stamp({ type: 'proc.counters', pid: 2, counters: { ...emptyCounters(), tokensOut: 40, contextTokens: 400 } })]));
    expect(rendered).toEqual([2]);
    const row = screen.getByRole('button', { name: 'Open console of process 2, Looper' }).closest('tr')!;
    expect(within(row).getByRole('meter', { name: 'Context used by process 2' }).getAttribute('aria-valuenow')).toBe('400');
  });

  it('sorts by a column header and says so', () => {
    render(<ProcessTable />);
    act(() => kernelStore.getState().ingest([stamp({ type: 'proc.counters', pid: 1, counters: { ...emptyCounters(), toolCalls: 7 } })]));
    fireEvent.click(screen.getByRole('button', { name: /^Tools/ }));
    const header = screen.getByRole('columnheader', { name: /^Tools/ });
    expect(header.getAttribute('aria-sort')).toBe('descending');
    const pids = screen.getAllByRole('button', { name: /^Open console of process/ }).map((button) => button.getAttribute('aria-label'));
    expect(pids[0]).toBe('Open console of process 1, Looper');
  });

  it('opens the install dialog for a gallery card dropped on it', () => {
    render(<ProcessTable />);
    const zone = screen.getByRole('table', { hidden: true }).parentElement!;
    const dataTransfer = { types: [AGENT_DRAG_TYPE, 'text/plain'], getData: (type: string) => (type === AGENT_DRAG_TYPE ? 'looper' : ''), dropEffect: 'none' };
    fireEvent.dragOver(zone, { dataTransfer });
    expect(dataTransfer.dropEffect).toBe('copy');
    fireEvent.drop(zone, { dataTransfer });
    expect(kernelStore.getState().installing).toBe('looper');
  });

  it('ignores drops that are not gallery cards', () => {
    render(<ProcessTable />);
    const zone = screen.getByRole('table', { hidden: true }).parentElement!;
    fireEvent.drop(zone, { dataTransfer: { types: ['Files'], getData: () => '' } });
    expect(kernelStore.getState().installing).toBeNull();
  });
});
