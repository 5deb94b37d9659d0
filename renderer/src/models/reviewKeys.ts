/** What a key press does in the review queue. */
export type ReviewAction =
  { type: 'accept' } | { type: 'choose'; index: number } | { type: 'move'; delta: 1 | -1 } | { type: 'none' };

/**
 * Review-queue keys: Enter or A accepts the predicted class, 1..9 choose a class by its number,
 * J / ↓ / S move to (skip to) the next item, K / ↑ to the previous one.
 */
export function reviewKey(key: string, classCount: number): ReviewAction {
  if (key === 'Enter' || key === 'a' || key === 'A') return { type: 'accept' };
  if (/^[1-9]$/.test(key)) {
    const index = Number(key) - 1;
    return index < classCount ? { type: 'choose', index } : { type: 'none' };
  }
  if (key === 'j' || key === 'ArrowDown' || key === 's') return { type: 'move', delta: 1 };
  if (key === 'k' || key === 'ArrowUp') return { type: 'move', delta: -1 };
  return { type: 'none' };
}
