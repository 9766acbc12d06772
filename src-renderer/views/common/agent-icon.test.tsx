// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentIcon, iconFor } from './agent-icon.js';

afterEach(cleanup);

/** The icons of the gallery shipped with the app. */
function shippedIcons(): string[] {
  return Object.values(import.meta.glob<string>('../../../assets/gallery/*.json', { eager: true, import: 'icon' }));
}

describe('agent icons', () => {
  it('draws every shipped agent with its own SVG, none with the fallback', () => {
    const icons = shippedIcons();
    expect(icons.length).toBeGreaterThanOrEqual(12);
    for (const icon of icons) expect(iconFor(icon), icon).not.toBe('bot');
    // Distinct agents look distinct.
    expect(new Set(icons.map(iconFor)).size).toBe(new Set(icons).size);
  });

  it('renders an SVG, not the emoji text, and a fallback for unknown icons', () => {
    const { container } = render(
      <>
        <AgentIcon icon="🧮" />
        <AgentIcon icon="🦄" />
        <AgentIcon icon="⏰️" />
      </>,
    );
    const svgs = [...container.querySelectorAll('svg')];
    expect(svgs.map((svg) => svg.dataset.icon)).toEqual(['calculator', 'bot', 'alarm']);
    expect(container.textContent).toBe('');
    expect(svgs.every((svg) => svg.getAttribute('aria-hidden') === 'true')).toBe(true);
  });
});
