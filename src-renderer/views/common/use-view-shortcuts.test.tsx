// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelStore } from '../../store/kernel-store.js';
import { AppHeader } from '../app-header.js';
import { shortcutLabel } from './use-view-shortcuts.js';

afterEach(cleanup);

describe('view shortcuts', () => {
  it('Ctrl+N (⌘N) opens the Nth view; other chords and keys do nothing', () => {
    kernelStore.getState().showView('task-manager');
    render(<AppHeader />);
    fireEvent.keyDown(window, { key: '5', ctrlKey: true });
    expect(kernelStore.getState().view).toBe('models');
    fireEvent.keyDown(window, { key: '2', metaKey: true });
    expect(kernelStore.getState().view).toBe('kv-memory');
    fireEvent.keyDown(window, { key: '3' });
    fireEvent.keyDown(window, { key: '3', ctrlKey: true, shiftKey: true });
    fireEvent.keyDown(window, { key: '9', ctrlKey: true });
    expect(kernelStore.getState().view).toBe('kv-memory');
    expect(screen.getByRole('tab', { name: /Models/ }).getAttribute('title')).toBe(shortcutLabel(4));
  });

  it('names the key the way the platform does', () => {
    expect(shortcutLabel(0, 'MacIntel')).toBe('⌘1');
    expect(shortcutLabel(1, 'Linux x86_64')).toBe('Ctrl+2');
  });
});
