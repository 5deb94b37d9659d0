import type { Migration } from '../migrate.js';
import { migration as m0010 } from './0010-initial.js';

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [m0010];
