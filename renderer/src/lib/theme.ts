/** Colour theme of the frame: light, dark, or following the system (`prefers-color-scheme`). */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'osler.theme';

/** The user's stored choice; "system" when none (or storage is unavailable). */
export function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

/** Stores the choice ("system" forgets it). */
export function storeTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Private mode or disabled storage: the choice lasts for this page only.
  }
}

/** The theme actually shown for a choice and the system preference. */
export function resolveTheme(choice: ThemeChoice, systemPrefersLight: boolean): 'light' | 'dark' {
  return choice === 'system' ? (systemPrefersLight ? 'light' : 'dark') : choice;
}

/** The next choice of the toggle: system → light → dark → system. */
export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
}
