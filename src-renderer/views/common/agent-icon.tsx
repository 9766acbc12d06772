import type { ReactElement } from 'react';

/**
 * Agent icons shipped with the app as inline SVG: a manifest's `icon` is an emoji, which renders as
 * an empty box where no emoji font is installed (minimal Linux desktops, headless browsers). The
 * manifests stay as they are; this is the one place an emoji (or an icon name) becomes a drawing.
 * Strokes use `currentColor`, so icons follow the theme.
 */
type IconName =
  | 'alarm'
  | 'globe'
  | 'bowl'
  | 'coin'
  | 'ruler'
  | 'notebook'
  | 'book'
  | 'pencil'
  | 'inbox'
  | 'search'
  | 'bell'
  | 'calculator'
  | 'repeat'
  | 'chat'
  | 'plug'
  | 'bot';

const PATHS: Record<IconName, readonly string[]> = {
  alarm: ['M12 21a8 8 0 1 0 0-16 8 8 0 0 0 0 16z', 'M12 9v4l2 2', 'M5 3 2 6', 'M22 6l-3-3'],
  globe: ['M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z', 'M2 12h20', 'M12 2a15 15 0 0 1 0 20 15 15 0 0 1 0-20z'],
  bowl: ['M3 11h18', 'M4 11a8 8 0 0 0 16 0', 'M9 7c0-1 1-1 1-2s-1-1-1-2', 'M14 7c0-1 1-1 1-2s-1-1-1-2', 'M8 21h8'],
  coin: [
    'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z',
    'M15 9.5c-.5-1-1.6-1.5-3-1.5-1.7 0-3 .8-3 2s1.3 1.7 3 2 3 .8 3 2-1.3 2-3 2c-1.4 0-2.5-.5-3-1.5',
    'M12 6v2',
    'M12 16v2',
  ],
  ruler: ['M3 17 17 3l4 4L7 21z', 'M7 13l2 2', 'M10 10l2 2', 'M13 7l2 2'],
  notebook: ['M7 3h10a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z', 'M9 3v18', 'M12 8h4', 'M12 12h4'],
  book: ['M2 5h6a4 4 0 0 1 4 4v11a3 3 0 0 0-3-3H2z', 'M22 5h-6a4 4 0 0 0-4 4v11a3 3 0 0 1 3-3h7z'],
  pencil: ['M4 20h4L19 9l-4-4L4 16z', 'M13 7l4 4'],
  inbox: ['M22 12h-6l-2 3h-4l-2-3H2', 'M5.5 5h13L22 12v6a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2v-6z'],
  search: ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M21 21l-5-5'],
  bell: ['M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9', 'M10.3 21a1.94 1.94 0 0 0 3.4 0'],
  calculator: ['M6 2h12a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z', 'M8 6h8v4H8z', 'M8 14h.01', 'M12 14h.01', 'M16 14h.01', 'M8 18h.01', 'M12 18h.01', 'M16 18h.01'],
  repeat: ['M17 2l4 4-4 4', 'M3 11v-1a4 4 0 0 1 4-4h14', 'M7 22l-4-4 4-4', 'M21 13v1a4 4 0 0 1-4 4H3'],
  chat: ['M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z'],
  plug: ['M9 2v6', 'M15 2v6', 'M6 8h12v4a6 6 0 0 1-12 0z', 'M12 18v4'],
  bot: ['M6 8h12a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2z', 'M12 8V4', 'M12 4h.01', 'M9 13v2', 'M15 13v2'],
};

/** The emoji the shipped manifests (and the kernel's own processes) use, each drawn by one icon. */
const BY_EMOJI: Readonly<Record<string, IconName>> = {
  '⏰': 'alarm',
  '🌐': 'globe',
  '🍲': 'bowl',
  '💰': 'coin',
  '📏': 'ruler',
  '📓': 'notebook',
  '📖': 'book',
  '📝': 'pencil',
  '📥': 'inbox',
  '🔎': 'search',
  '🔍': 'search',
  '🔔': 'bell',
  '🧮': 'calculator',
  '🔁': 'repeat',
  '💬': 'chat',
  '🔌': 'plug',
  '🤖': 'bot',
};

/** Which drawing an agent's `icon` gets: by emoji (variation selectors ignored), by name, else the generic agent. */
export function iconFor(icon: string): IconName {
  const key = icon.replace(/\uFE0F/g, '').trim();
  if (key in BY_EMOJI) return BY_EMOJI[key]!;
  if (key in PATHS) return key as IconName;
  return 'bot';
}

/** An agent's icon, decorative: the agent's name is always next to it. */
export function AgentIcon({ icon, size = 16 }: { icon: string; size?: number }): ReactElement {
  const name = iconFor(icon);
  return (
    <svg
      className="agent-icon"
      data-icon={name}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {PATHS[name].map((d) => (
        <path key={d} d={d} />
      ))}
    </svg>
  );
}
