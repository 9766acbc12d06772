import { useEffect } from 'react';
import type { ViewId } from '../../store/ui.slice.js';

/**
 * Ctrl+1…Ctrl+5 (⌘ on macOS) open the views in tab order. A browser keeps these keys for its
 * own tabs, so they work in the desktop app; the tabs' arrow keys work everywhere.
 */
export function useViewShortcuts(views: readonly ViewId[], showView: (view: ViewId) => void): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const index = Number(event.key) - 1;
      const view = Number.isInteger(index) ? views[index] : undefined;
      if (!view) return;
      event.preventDefault();
      showView(view);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [views, showView]);
}

/** "Ctrl+2", or "⌘2" on a Mac: the hint a tab shows for its shortcut. */
export function shortcutLabel(index: number, platform = typeof navigator === 'undefined' ? '' : navigator.platform): string {
  return /Mac/.test(platform) ? `⌘${index + 1}` : `Ctrl+${index + 1}`;
}
