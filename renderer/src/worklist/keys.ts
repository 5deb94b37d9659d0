/** What a key press in the worklist asks for. */
export type WorklistAction =
  | { readonly type: 'move'; readonly index: number }
  | { readonly type: 'open'; readonly index: number }
  | { readonly type: 'search' }
  | { readonly type: 'none' };

/** Where the selection is and how many rows there are (loaded) and fit on a page. */
export interface WorklistCursor {
  /** Selected row, or -1 for none. */
  readonly index: number;
  readonly count: number;
  readonly pageRows: number;
}

const clamp = (i: number, count: number) => Math.min(Math.max(i, 0), count - 1);

/**
 * Maps a key to a worklist action: j/k and the arrows move, PageUp/PageDown move a page,
 * Home/End jump, Enter opens the selected row, / focuses the search box.
 */
export function worklistKey(key: string, cursor: WorklistCursor): WorklistAction {
  const { index, count, pageRows } = cursor;
  if (key === '/') return { type: 'search' };
  if (count === 0) return { type: 'none' };
  const move = (to: number): WorklistAction => ({ type: 'move', index: clamp(to, count) });
  switch (key) {
    case 'j':
    case 'ArrowDown':
      return move(index < 0 ? 0 : index + 1);
    case 'k':
    case 'ArrowUp':
      return move(index < 0 ? 0 : index - 1);
    case 'PageDown':
      return move(Math.max(index, 0) + Math.max(1, pageRows));
    case 'PageUp':
      return move(Math.max(index, 0) - Math.max(1, pageRows));
    case 'Home':
      return move(0);
    case 'End':
      return move(count - 1);
    case 'Enter':
      return index >= 0 ? { type: 'open', index } : { type: 'none' };
    default:
      return { type: 'none' };
  }
}
