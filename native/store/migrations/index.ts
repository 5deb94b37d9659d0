import type { Migration } from '../migrate.js';
import { migration as m0010 } from './0010-initial.js';
import { migration as m0020 } from './0020-case-store.js';

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [m0010, m0020];
