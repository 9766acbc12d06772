// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { kernelStore } from './kernel-store.js';
import { savedView, usePersistedView, VIEW_KEY } from './saved-view.js';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

function Persist() {
  usePersistedView(localStorage);
  return null;
}

describe('saved view', () => {
  it('saves the selected view and reads it back after a reload', () => {
    kernelStore.getState().showView('task-manager');
    render(<Persist />);
    act(() => kernelStore.getState().showView('sandbox'));
    expect(localStorage.getItem(VIEW_KEY)).toBe('sandbox');
    expect(savedView(localStorage)).toBe('sandbox');
    // The URL fragment is the token's: the view is never put there.
    expect(window.location.hash).toBe('');
  });

  it('ignores a value it does not know, and storage that throws', () => {
    localStorage.setItem(VIEW_KEY, 'settings');
    expect(savedView(localStorage)).toBeNull();
    expect(savedView({ getItem: () => { throw new Error('storage is off'); } })).toBeNull();
    expect(savedView(null)).toBeNull();
  });
});
