/**
 * The installer configuration, checked the way `npm run dist` reads it (electron-builder's own loader and
 * schema validation), without building an installer: the Electron binary cannot be downloaded here.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPENJP2_ADDON_PATH } from '../../../native/dicom/codecs/openjp2.js';

const root = join(import.meta.dirname, '..', '..', '..');
const require = createRequire(join(root, 'package.json'));

interface BuilderConfig {
  files?: { filter?: string[] }[] | string[];
  asarUnpack?: string[];
  deb?: { depends?: string[] };
}

async function loadConfig(): Promise<BuilderConfig> {
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
    getConfig: (dir: string, path: null, opts: null) => Promise<BuilderConfig>;
    validateConfiguration: (config: BuilderConfig, logger: unknown) => Promise<void>;
  };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  const config = await getConfig(root, null, null);
  await validateConfiguration(config, new DebugLogger(false));
  return config;
}

function fileFilters(config: BuilderConfig): string[] {
  return (config.files ?? []).flatMap((f) => (typeof f === 'string' ? [f] : (f.filter ?? [])));
}

describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation', async () => {
    await expect(loadConfig()).resolves.toBeTruthy();
  });

  it('ships the JPEG 2000 addon where the loader looks for it, unpacked from the asar', async () => {
    const config = await loadConfig();
    const filters = fileFilters(config);
    expect(filters).toContain(OPENJP2_ADDON_PATH);
    // A later exclusion would drop the addon again (electron-builder applies filters in order).
    const after = filters.slice(filters.indexOf(OPENJP2_ADDON_PATH) + 1);
    expect(after.filter((f) => f.startsWith('!'))).toEqual([]);
    expect(config.asarUnpack).toContain('**/*.node');
  });

  it("makes the .deb depend on libopenjp2-7 while keeping electron-builder's default dependencies", async () => {
    const config = await loadConfig();
    const FpmTarget = (require('app-builder-lib/out/targets/FpmTarget.js') as { default: { prototype: object } })
      .default;
    const defaults = (
      FpmTarget.prototype as { getDefaultDepends: (target: string) => string[] }
    ).getDefaultDepends.call(null, 'deb');
    expect(defaults.length).toBeGreaterThan(0);
    const depends = config.deb?.depends ?? [];
    expect(depends).toEqual(expect.arrayContaining([...defaults, 'libopenjp2-7']));
  });
});
