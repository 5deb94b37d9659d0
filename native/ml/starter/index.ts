import { recipe as abstractCondition } from './abstractCondition.js';
import { recipe as chestXrayPneumonia } from './chestXrayPneumonia.js';
import { recipe as icuMortality } from './icuMortality.js';
import type { StarterRecipe } from './types.js';
import { recipe as vitalsForecast } from './vitalsForecast.js';

export type { StarterContext, StarterRecipe } from './types.js';

/** The shipped starter models, by registry name. */
export const STARTER_RECIPES: Readonly<Record<string, StarterRecipe>> = Object.fromEntries(
  [chestXrayPneumonia, abstractCondition, icuMortality, vitalsForecast].map((r) => [r.name, r]),
);
