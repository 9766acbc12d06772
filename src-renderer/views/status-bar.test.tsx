// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelStore } from '../store/kernel-store.js';
import { kernelInfo } from '../test-support/kernel-fixtures.js';
import { applyConsoleEvent, transcriptText } from '../store/console.slice.js';
import { stamp } from '../test-support/kernel-fixtures.js';
import { StatusBar } from './status-bar.js';

afterEach(cleanup);

describe('journal problems in the UI', () => {
  it('the status bar shows how many journal lines were skipped, and why on hover', () => {
    kernelStore.setState({
      info: kernelInfo({
        journal: { skippedLines: 3, problems: ['line 2: not JSON', 'line 9: proc.output for unknown pid 7'], sizeBytes: 1234, compactedAt: null },
        warnings: ['journal: 3 line(s) skipped on load (line 2: not JSON)'],
      }),
    });
    render(<StatusBar />);
    const journal = screen.getByText('3 skipped');
    expect(journal.closest('div')?.getAttribute('title')).toBe('line 2: not JSON\nline 9: proc.output for unknown pid 7');
    expect(screen.getByText('Warnings')).toBeTruthy();
  });

  it('shows nothing about the journal when every line was read', () => {
    kernelStore.setState({ info: kernelInfo() });
    render(<StatusBar />);
    expect(screen.queryByText('Journal')).toBeNull();
  });

  it('an interrupted step stays apart from its regenerated output, live and in a transcript', () => {
    let consoles = applyConsoleEvent({}, stamp({ type: 'proc.output', pid: 1, step: 3, text: 'a smart of' }));
    consoles = applyConsoleEvent(consoles, stamp({ type: 'proc.step-interrupted', pid: 1, step: 3, reason: 'cut short by a kernel restart' }));
    consoles = applyConsoleEvent(consoles, stamp({ type: 'proc.output', pid: 1, step: 3, text: '{ "type": "tool"' }));
    expect(consoles[1]!.text).toBe('a smart of\n[step 3] interrupted: cut short by a kernel restart\n{ "type": "tool"');
    const text = transcriptText([
      { kind: 'interrupted', step: 3, text: 'a smart of', reason: 'cut short by a kernel restart' },
      { kind: 'output', step: 3, text: '{ "type": "tool"' },
    ]);
    expect(text).toBe('a smart of\n[step 3] interrupted: cut short by a kernel restart\n{ "type": "tool"');
  });
});
