/** What a key press in note triage asks for. */
export type TriageAction =
  | { readonly type: 'label'; readonly value: string }
  | { readonly type: 'accept' }
  | { readonly type: 'skip' }
  | { readonly type: 'back' }
  | { readonly type: 'task'; readonly delta: 1 | -1 }
  | { readonly type: 'none' };

/**
 * Maps a key to a triage action: 1-9 label the note with that class of the current task's
 * classes (in the order shown), a accepts the model's predicted class, s skips to the next note, Escape goes back to the worklist,
 * [ and ] change the task.
 */
export function triageKey(key: string, classes: readonly string[]): TriageAction {
  if (/^[1-9]$/.test(key)) {
    const value = classes[Number(key) - 1];
    return value === undefined ? { type: 'none' } : { type: 'label', value };
  }
  if (key === 'a') return { type: 'accept' };
  if (key === 's') return { type: 'skip' };
  if (key === 'Escape') return { type: 'back' };
  if (key === ']') return { type: 'task', delta: 1 };
  if (key === '[') return { type: 'task', delta: -1 };
  return { type: 'none' };
}

/** Class values in display order: numeric values numerically, others alphabetically. */
export function orderClasses(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
    return a.localeCompare(b);
  });
}
