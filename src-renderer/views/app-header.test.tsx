// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kernelStore } from '../store/kernel-store.js';
import { kernelInfo } from '../test-support/kernel-fixtures.js';
import { AppHeader } from './app-header.js';

beforeEach(() => kernelStore.setState({ info: kernelInfo(), theme: 'dark', processes: {} }));
afterEach(cleanup);

describe('app header', () => {
  it('labels the theme switch by what a click does, in both themes', () => {
    render(<AppHeader />);
    fireEvent.click(screen.getByRole('button', { name: 'Switch to light theme' }));
    expect(kernelStore.getState().theme).toBe('light');
    fireEvent.click(screen.getByRole('button', { name: 'Switch to dark theme' }));
    expect(kernelStore.getState().theme).toBe('dark');
    expect(screen.queryByRole('button', { name: 'Light theme' })).toBeNull();
  });
});
