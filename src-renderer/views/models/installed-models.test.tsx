// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelsOverview } from '../../../src-shared/index.js';
import { kernelStore } from '../../store/kernel-store.js';
import { emptyModels } from '../../store/models.slice.js';
import { kernelInfo, modelInfo } from '../../test-support/kernel-fixtures.js';
import { InstalledModels } from './installed-models.js';

const overview = (installed: ModelsOverview['installed'], inUse: string | null): ModelsOverview => ({
  directory: '/data/models',
  defaultId: null,
  catalog: [],
  installed,
  inUse,
  loading: null,
  downloads: [],
  paused: [],
  gpu: { choice: 'auto', backend: 'cpu', devices: [], vram: null, error: null },
});

afterEach(cleanup);

describe('installed models', () => {
  it('shows the loaded model when it was given by path, not "0 models"', () => {
    kernelStore.setState({
      info: kernelInfo({ model: modelInfo({ path: '/home/me/tiny.gguf', name: 'tiny.gguf' }) }),
      models: { ...emptyModels, overview: overview([], '/home/me/tiny.gguf') },
      processes: {},
    });
    render(<InstalledModels />);
    const row = screen.getByRole('row', { name: /tiny\.gguf/ });
    expect(within(row).getByText('in use')).toBeTruthy();
    expect(within(row).getByText('loaded by path')).toBeTruthy();
    expect(screen.getByText(/0 models in the folder · 0 B on disk · 1 loaded by path/)).toBeTruthy();
    expect(screen.queryByText(/No models yet/)).toBeNull();
  });

  it('shows a loaded model from the folder once, in its own row', () => {
    const installed = [{ file: 'a.gguf', path: '/data/models/a.gguf', sizeBytes: 10, catalogId: null }];
    kernelStore.setState({
      info: kernelInfo({ model: modelInfo({ path: '/data/models/a.gguf', name: 'a.gguf' }) }),
      models: { ...emptyModels, overview: overview(installed, '/data/models/a.gguf') },
      processes: {},
    });
    render(<InstalledModels />);
    expect(screen.getAllByRole('row')).toHaveLength(2);
    expect(screen.queryByText('loaded by path')).toBeNull();
  });
});
