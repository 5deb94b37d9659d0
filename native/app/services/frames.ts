import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { frameSchema } from '../../contract/imaging.js';
import { OslerError } from '../../contract/result.js';
import {
  decodeFrame,
  displayFrame,
  parseDicom,
  rescaleOf,
  voiFunctionOf,
  windowPresets,
  type DicomDataset,
} from '../../dicom/index.js';
import { resolveManaged } from '../../store/managedFiles.js';

/** One frame as the contract ships it. */
export type FrameData = z.output<typeof frameSchema>;

interface CachedFile {
  readonly ds: DicomDataset;
  readonly bytes: number;
}

/**
 * Decodes frames of stored instances for the viewer. Parsed files are kept in an LRU cache
 * bounded in bytes, so scrolling back and forth through a series does not re-read the disk.
 */
export class FrameService {
  readonly #home: string;
  readonly #maxBytes: number;
  readonly #cache = new Map<number, CachedFile>();
  #cachedBytes = 0;

  /** @param maxCacheBytes upper bound of parsed files kept in memory (default 256 MB). */
  constructor(home: string, maxCacheBytes = 256 * 1024 * 1024) {
    this.#home = home;
    this.#maxBytes = maxCacheBytes;
  }

  async #dataset(instanceId: number, path: string): Promise<DicomDataset> {
    const hit = this.#cache.get(instanceId);
    if (hit) {
      this.#cache.delete(instanceId);
      this.#cache.set(instanceId, hit);
      return hit.ds;
    }
    const bytes = await readFile(resolveManaged(this.#home, path));
    const ds = parseDicom(bytes);
    this.#cache.set(instanceId, { ds, bytes: bytes.length });
    this.#cachedBytes += bytes.length;
    for (const [key, entry] of this.#cache) {
      if (this.#cachedBytes <= this.#maxBytes || key === instanceId) break;
      this.#cache.delete(key);
      this.#cachedBytes -= entry.bytes;
    }
    return ds;
  }

  /** Decodes frame `frame` of the instance stored at `path` (relative to the data folder). */
  async get(instanceId: number, path: string, frame: number): Promise<FrameData> {
    const ds = await this.#dataset(instanceId, path);
    const frames = Math.max(1, ds.number('NumberOfFrames') ?? 1);
    if (frame >= frames)
      throw new OslerError('not-found', `instance ${instanceId} has ${frames} frame(s), not ${frame + 1}`);
    const stored = await decodeFrame(ds, frame);
    const spacing = pixelSpacing(ds, frame);
    const base = {
      instanceId,
      frame,
      rows: stored.rows,
      columns: stored.columns,
      photometric: stored.photometric,
      windows: windowPresets(ds, frame),
      voiFunction: voiFunctionOf(ds, frame),
      pixelSpacingMm: spacing?.mm ?? null,
      spacingSource: spacing?.source ?? null,
    };
    if (stored.samplesPerPixel === 3 || stored.photometric === 'PALETTE COLOR') {
      // Colour and palette images are shown as they are: no window, so send display-ready RGB.
      const rgba = displayFrame(ds, stored, frame, { rgba: true }).data;
      const rgb = new Uint8Array((rgba.length / 4) * 3);
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
        rgb[j] = rgba[i]!;
        rgb[j + 1] = rgba[i + 1]!;
        rgb[j + 2] = rgba[i + 2]!;
      }
      return {
        ...base,
        format: 'rgb',
        pixels: rgb,
        rescale: { slope: 1, intercept: 0 },
        minValue: 0,
        maxValue: 255,
      };
    }
    const rescale = rescaleOf(ds, frame);
    const values = stored.values as Exclude<typeof stored.values, Float64Array>;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const a = min * rescale.slope + rescale.intercept;
    const b = max * rescale.slope + rescale.intercept;
    const pixels = stored.values instanceof Float64Array ? Float32Array.from(stored.values) : values;
    return {
      ...base,
      format: 'gray',
      pixels,
      rescale,
      minValue: Number.isFinite(a) ? Math.min(a, b) : 0,
      maxValue: Number.isFinite(b) ? Math.max(a, b) : 0,
    };
  }

  /**
   * A preview of a frame at most `size` pixels on its long side, at the file's first window (else
   * the frame's range), by area averaging so thin structures do not alias away.
   */
  async thumbnail(
    instanceId: number,
    path: string,
    size: number,
  ): Promise<{ rows: number; columns: number; format: 'gray' | 'rgb'; pixels: Uint8Array }> {
    const ds = await this.#dataset(instanceId, path);
    const stored = await decodeFrame(ds, 0);
    const image = displayFrame(ds, stored, 0, { rgba: true });
    const scale = Math.min(1, size / Math.max(image.rows, image.columns));
    const rows = Math.max(1, Math.round(image.rows * scale));
    const columns = Math.max(1, Math.round(image.columns * scale));
    const color = stored.samplesPerPixel === 3 || stored.photometric === 'PALETTE COLOR';
    const channels = color ? 3 : 1;
    const out = new Uint8Array(rows * columns * channels);
    for (let y = 0; y < rows; y++) {
      const y0 = Math.floor((y * image.rows) / rows);
      const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.rows) / rows));
      for (let x = 0; x < columns; x++) {
        const x0 = Math.floor((x * image.columns) / columns);
        const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * image.columns) / columns));
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let yy = y0; yy < y1; yy++)
            for (let xx = x0; xx < x1; xx++) sum += image.data[(yy * image.columns + xx) * 4 + c]!;
          out[(y * columns + x) * channels + c] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
        }
      }
    }
    return { rows, columns, format: color ? 'rgb' : 'gray', pixels: out };
  }

  /** Drops every cached file (after a delete or an import that replaced files). */
  clear(): void {
    this.#cache.clear();
    this.#cachedBytes = 0;
  }
}

function pixelSpacing(
  ds: DicomDataset,
  frame: number,
): { mm: [number, number]; source: 'pixel-spacing' | 'imager-pixel-spacing' } | null {
  const pair = (values: number[]): [number, number] | null =>
    values.length === 2 && values[0]! > 0 && values[1]! > 0 ? [values[0]!, values[1]!] : null;
  const direct = pair(ds.numbers('PixelSpacing'));
  if (direct) return { mm: direct, source: 'pixel-spacing' };
  const measures =
    ds.sequence('PerFrameFunctionalGroupsSequence')[frame]?.sequence('PixelMeasuresSequence')[0] ??
    ds.sequence('SharedFunctionalGroupsSequence')[0]?.sequence('PixelMeasuresSequence')[0];
  const grouped = measures ? pair(measures.numbers('PixelSpacing')) : null;
  if (grouped) return { mm: grouped, source: 'pixel-spacing' };
  const imager = pair(ds.numbers('ImagerPixelSpacing'));
  return imager ? { mm: imager, source: 'imager-pixel-spacing' } : null;
}
