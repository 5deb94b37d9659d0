import { readFile } from 'node:fs/promises';
import type Database from 'better-sqlite3';
import { OslerError } from '../../contract/result.js';
import { parseDicom, readSegmentation, sliceGeometryInput, type Segmentation } from '../../dicom/index.js';
import { getSeries, listInstances } from '../../store/imaging.js';
import { resolveManaged } from '../../store/managedFiles.js';

const SEG_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';

/** A segmentation object that applies to a series. */
export interface SegRef {
  readonly instanceId: number;
  readonly seriesId: number;
  readonly description: string | null;
}

/** Display colours for segments without a recommended one. */
const PALETTE: readonly [number, number, number][] = [
  [230, 80, 80],
  [80, 200, 120],
  [80, 140, 240],
  [240, 200, 60],
  [200, 100, 220],
  [60, 210, 220],
];

/** Converts DICOM's scaled CIELab (0..65535 per component) to sRGB bytes. */
export function cielabToRgb(lab: readonly number[]): [number, number, number] {
  const L = (lab[0]! / 65535) * 100;
  const a = (lab[1]! / 65535) * 255 - 128;
  const b = (lab[2]! / 65535) * 255 - 128;
  let y = (L + 16) / 116;
  let x = a / 500 + y;
  let z = y - b / 200;
  const f = (t: number) => (t ** 3 > 0.008856 ? t ** 3 : (t - 16 / 116) / 7.787);
  x = 0.95047 * f(x);
  y = 1.0 * f(y);
  z = 1.08883 * f(z);
  const lin = [
    3.2406 * x - 1.5372 * y - 0.4986 * z,
    -0.9689 * x + 1.8758 * y + 0.0415 * z,
    0.0557 * x - 0.204 * y + 1.057 * z,
  ];
  const gamma = (c: number) => (c > 0.0031308 ? 1.055 * c ** (1 / 2.4) - 0.055 : 12.92 * c);
  return lin.map((c) => Math.round(Math.min(1, Math.max(0, gamma(c))) * 255)) as [number, number, number];
}

/**
 * Finds the DICOM SEG objects that apply to a series and places their frames on its slices,
 * using the DICOM engine's reader. Placed segmentations are cached (they are re-read per slice).
 */
export class SegmentationService {
  readonly #db: Database.Database;
  readonly #home: string;
  readonly #cache = new Map<string, Segmentation>();

  constructor(db: Database.Database, home: string) {
    this.#db = db;
    this.#home = home;
  }

  /** SEG instances in the series' study that reference it. */
  async list(seriesId: number): Promise<SegRef[]> {
    const series = getSeries(this.#db, seriesId);
    if (series === null) throw new OslerError('not-found', `no series ${seriesId}`);
    const candidates = this.#db
      .prepare(
        `SELECT i.id, i.path, se.id AS series_id, se.description FROM instances i JOIN series se ON se.id = i.series_id
         WHERE se.study_id = ? AND i.sop_class_uid = ? ORDER BY i.id`,
      )
      .all(series.studyId, SEG_CLASS) as Array<{
      id: number;
      path: string;
      series_id: number;
      description: string | null;
    }>;
    const sops = new Set(listInstances(this.#db, seriesId).map((i) => i.sopInstanceUid));
    const out: SegRef[] = [];
    for (const c of candidates) {
      const ds = parseDicom(await readFile(resolveManaged(this.#home, c.path)), { untilTag: '7FE00010' });
      const referencedSeries = ds.sequence('ReferencedSeriesSequence').map((s) => s.string('SeriesInstanceUID'));
      const referencedSops = ds
        .sequence('ReferencedSeriesSequence')
        .flatMap((s) => s.sequence('0008114A').map((r) => r.string('ReferencedSOPInstanceUID')));
      if (referencedSeries.includes(series.seriesUid) || referencedSops.some((s) => s !== undefined && sops.has(s)))
        out.push({
          instanceId: c.id,
          seriesId: c.series_id,
          description: c.description ?? ds.string('SeriesDescription') ?? null,
        });
    }
    return out;
  }

  /** The SEG placed on the series' slices, in the given slice order (instance ids). */
  async placed(segInstanceId: number, seriesId: number, order: readonly number[]): Promise<Segmentation> {
    const key = `${segInstanceId}:${seriesId}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const seg = this.#db.prepare('SELECT path, sop_class_uid FROM instances WHERE id = ?').get(segInstanceId) as
      { path: string; sop_class_uid: string | null } | undefined;
    if (!seg || seg.sop_class_uid !== SEG_CLASS) throw new OslerError('not-found', `no segmentation ${segInstanceId}`);
    const instances = new Map(listInstances(this.#db, seriesId).map((i) => [i.id, i]));
    const sources = [];
    for (const id of order) {
      const inst = instances.get(id);
      if (!inst) throw new OslerError('not-found', `instance ${id} is not in series ${seriesId}`);
      const ds = parseDicom(await readFile(resolveManaged(this.#home, inst.path)), { untilTag: '7FE00010' });
      sources.push({ sopInstanceUid: inst.sopInstanceUid, geometry: sliceGeometryInput(ds, inst.sopInstanceUid) });
    }
    const placed = await readSegmentation(parseDicom(await readFile(resolveManaged(this.#home, seg.path))), sources);
    if (this.#cache.size >= 4) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, placed);
    return placed;
  }

  /** Display colour of a segment. */
  static colour(cielab: readonly number[] | undefined, index: number): [number, number, number] {
    return cielab?.length === 3 ? cielabToRgb(cielab) : PALETTE[index % PALETTE.length]!;
  }
}
