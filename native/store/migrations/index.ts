import type { Migration } from '../migrate.js';
import { migration as m0010 } from './0010-initial.js';
import { migration as m0020 } from './0020-case-store.js';
import { migration as m0030 } from './0030-worklist-audit.js';
import { migration as m0040 } from './0040-model-registry.js';
import { migration as m0050 } from './0050-priority-model.js';
import { migration as m0060 } from './0060-model-files.js';
import { migration as m0070 } from './0070-slim-model-metadata.js';

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [m0010, m0020, m0030, m0040, m0050, m0060, m0070];
