import { describe, expect, it } from 'vitest';
import { nextTheme, resolveTheme } from '../../../../renderer/src/lib/theme.js';

describe('colour theme choice', () => {
  it('follows the system preference until the user chooses', () => {
    expect(resolveTheme('system', true)).toBe('light');
    expect(resolveTheme('system', false)).toBe('dark');
    expect(resolveTheme('dark', true)).toBe('dark');
    expect(resolveTheme('light', false)).toBe('light');
  });

  it('cycles system → light → dark → system', () => {
    expect(nextTheme('system')).toBe('light');
    expect(nextTheme('light')).toBe('dark');
    expect(nextTheme('dark')).toBe('system');
  });
});
