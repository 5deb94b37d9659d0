/** Model flag filter of the worklist: any item, items a model scored, or items it flagged. */
export type ModelFlag = '' | 'scored' | 'flagged';

/** A model score at or above this flags an item (the probability of the positive or predicted class). */
export const FLAG_SCORE = 0.5;

/** Whether a row passes the model-flag filter. */
export function passesFlag(priority: number | null, flag: ModelFlag): boolean {
  if (flag === '') return true;
  return priority !== null && (flag === 'scored' || priority >= FLAG_SCORE);
}
