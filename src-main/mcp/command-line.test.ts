import { describe, expect, it } from 'vitest';
import { splitCommandLine } from './command-line.js';

describe('splitCommandLine', () => {
  it('splits words as a shell would, without expanding anything', () => {
    expect(splitCommandLine('npx -y @scope/server --root "/home/me/My Docs"')).toEqual(['npx', '-y', '@scope/server', '--root', '/home/me/My Docs']);
    expect(splitCommandLine(`node 'a b' "c \\"d\\"" e\\ f $HOME ""`)).toEqual(['node', 'a b', 'c "d"', 'e f', '$HOME', '']);
    expect(splitCommandLine('  ')).toEqual([]);
    expect(() => splitCommandLine('node "open')).toThrow(/unclosed/);
  });
});
