import { randomUUID } from 'node:crypto';
import { OslerError } from '../../contract/result.js';
import { addAnnotation, deleteAnnotation, listAnnotations, updateAnnotation } from '../../store/annotations.js';
import { writeAudit } from '../../store/audit.js';
import { actorOf } from './caseStore.js';
import { DicomParseError } from '../../dicom/index.js';
import {
  getSeries,
  instanceFile,
  listInstances,
  listSeries,
  listStudies,
  type InstanceSummary,
} from '../../store/imaging.js';
import type { CoreContext, HandlerGroup } from '../context.js';
import { FrameService } from '../services/frames.js';
import { SegmentationService } from '../services/segmentations.js';
import { runImport } from './importRunner.js';

type Vec3 = [number, number, number];

/** Runs DICOM engine work, turning its typed errors into contract errors that name the problem. */
async function wrapDicom<T>(work: () => Promise<T>, what = 'DICOM object'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DicomParseError)
      throw new OslerError('unavailable', `${what}: ${error.reason}: ${error.message}`);
    throw error;
  }
}

/** Instances in display order: geometry order (spatial) first, then any it does not list, by number. */
function displayOrder(geometry: StoredGeometry | null, instances: InstanceSummary[]): InstanceSummary[] {
  const byId = new Map(instances.map((i) => [i.id, i]));
  const ordered = (geometry?.order ?? []).map((id) => byId.get(id)).filter((i) => i !== undefined);
  const listed = new Set(ordered.map((i) => i.id));
  for (const i of instances) if (!listed.has(i.id)) ordered.push(i);
  return ordered;
}

interface StoredGeometry {
  order?: number[];
  sortedBy?: string;
  normal?: Vec3 | null;
  rowDirection?: Vec3 | null;
  columnDirection?: Vec3 | null;
  sliceSpacingMm?: number | null;
  uniformSpacing?: boolean;
  pixelSpacingMm?: [number, number] | null;
  tiltDeg?: number;
  issues?: string[];
}

/** Import, browsing and frame access for DICOM studies. */
export function imagingHandlers(
  ctx: CoreContext,
): HandlerGroup<
  | 'dicom.import'
  | 'studies.list'
  | 'series.list'
  | 'series.get'
  | 'frames.get'
  | 'series.thumbnail'
  | 'annotations.list'
  | 'annotations.save'
  | 'annotations.update'
  | 'annotations.delete'
  | 'overlays.list'
  | 'seg.get'
  | 'seg.slice'
> {
  const db = ctx.store.db;
  const frames = new FrameService(ctx.home);
  const segmentations = new SegmentationService(db, ctx.home);

  /** Instance ids of a single-frame series in display order (what SEG slices index into). */
  const sliceOrder = (seriesId: number): number[] => {
    const found = getSeries(db, seriesId);
    if (found === null) throw new OslerError('not-found', `no series ${seriesId}`);
    const order = displayOrder(found.geometry as StoredGeometry | null, listInstances(db, seriesId));
    if (order.some((i) => i.frames > 1))
      throw new OslerError('unavailable', 'segmentations over multi-frame series are not supported yet');
    return order.map((i) => i.id);
  };

  return {
    'dicom.import': async ({ paths }, call) => {
      const jobId = randomUUID();
      // In a worker with its own connection: parsing and hashing big files never blocks calls.
      const report = await runImport(db.name, db, {
        kind: 'dicom',
        options: { home: ctx.home, sources: paths, actor: actorOf(call) },
        onProgress: (p) =>
          ctx.emit('import.progress', {
            jobId,
            kind: 'dicom',
            filesSeen: p.filesSeen ?? 0,
            imported: p.imported ?? 0,
            duplicates: p.duplicates ?? 0,
            skipped: p.skipped ?? 0,
          }),
      });
      return {
        jobId,
        filesSeen: report.filesSeen,
        imported: report.imported,
        duplicates: report.duplicates,
        skipped: report.skipped,
        skippedFiles: [...report.skippedFiles],
        studyIds: [...report.studyIds],
        seriesIds: [...report.seriesIds],
      };
    },

    'studies.list': ({ patientId }, call) => {
      const studies = listStudies(db, patientId);
      writeAudit(db, {
        actor: actorOf(call),
        action: 'studies.list',
        targetKind: patientId === undefined ? null : 'patient',
        targetId: patientId ?? null,
        detail: { count: studies.length },
      });
      return studies;
    },

    'series.list': ({ studyId }, call) => {
      const series = listSeries(db, studyId).map(({ geometry: _g, ...summary }) => summary);
      writeAudit(db, { actor: actorOf(call), action: 'series.list', targetKind: 'study', targetId: studyId });
      return series;
    },

    'series.get': ({ seriesId }, call) => {
      const found = getSeries(db, seriesId);
      if (found === null) throw new OslerError('not-found', `no series ${seriesId}`);
      const { geometry: raw, ...series } = found;
      const geometry = (raw ?? {}) as StoredGeometry;
      const ordered = displayOrder(geometry, listInstances(db, seriesId));
      const frameList = ordered.flatMap((i) =>
        Array.from({ length: i.frames }, (_, frame) => ({
          instanceId: i.id,
          frame,
          positionMm: i.frames === 1 && i.positionMm?.length === 3 ? (i.positionMm as Vec3) : null,
        })),
      );
      writeAudit(db, { actor: actorOf(call), action: 'series.get', targetKind: 'series', targetId: seriesId });
      return {
        series,
        frames: frameList,
        geometry: {
          sortedBy: geometry.sortedBy ?? 'instance-number',
          normal: geometry.normal ?? null,
          rowDirection: geometry.rowDirection ?? null,
          columnDirection: geometry.columnDirection ?? null,
          sliceSpacingMm: geometry.sliceSpacingMm ?? null,
          uniformSpacing: geometry.uniformSpacing ?? false,
          pixelSpacingMm: geometry.pixelSpacingMm ?? null,
          tiltDeg: geometry.tiltDeg ?? 0,
          issues: geometry.issues ?? [],
        },
      };
    },

    'annotations.list': ({ seriesId }, call) => {
      const annotations = listAnnotations(db, 'series', seriesId);
      writeAudit(db, { actor: actorOf(call), action: 'annotations.list', targetKind: 'series', targetId: seriesId });
      return annotations;
    },

    'annotations.save': ({ seriesId, kind, data }, call) => {
      if (getSeries(db, seriesId) === null) throw new OslerError('not-found', `no series ${seriesId}`);
      return addAnnotation(db, { targetKind: 'series', targetId: seriesId, kind, data }, actorOf(call));
    },

    'annotations.update': ({ id, data }, call) => {
      if (!updateAnnotation(db, id, data, actorOf(call))) throw new OslerError('not-found', `no annotation ${id}`);
      return { id };
    },

    'annotations.delete': ({ id }, call) => {
      if (!deleteAnnotation(db, id, actorOf(call))) throw new OslerError('not-found', `no annotation ${id}`);
      return { id };
    },

    'overlays.list': async ({ seriesId }, call) => {
      const list = await wrapDicom(() => segmentations.list(seriesId), 'a segmentation of this study');
      writeAudit(db, { actor: actorOf(call), action: 'overlays.list', targetKind: 'series', targetId: seriesId });
      return { segmentations: list };
    },

    'seg.get': async ({ segInstanceId, seriesId }, call) => {
      const order = sliceOrder(seriesId);
      const placed = await wrapDicom(() => segmentations.placed(segInstanceId, seriesId, order));
      const perSlice = placed.rows * placed.columns;
      const slices = [];
      const perSegment = new Map<number, number>();
      for (let s = 0; s < order.length; s++) {
        let voxels = 0;
        const start = s * perSlice;
        for (let p = start; p < start + perSlice; p++) {
          const label = placed.labelmap[p]!;
          if (label !== 0) {
            voxels++;
            perSegment.set(label, (perSegment.get(label) ?? 0) + 1);
          }
        }
        if (voxels > 0) slices.push({ sliceIndex: s, voxels });
      }
      writeAudit(db, { actor: actorOf(call), action: 'seg.get', targetKind: 'instance', targetId: segInstanceId });
      return {
        segInstanceId,
        rows: placed.rows,
        columns: placed.columns,
        type: placed.type,
        segments: placed.segments.map((seg, i) => ({
          number: seg.number,
          label: seg.label,
          description: seg.description ?? null,
          algorithmType: seg.algorithmType ?? null,
          color: SegmentationService.colour(seg.cielab, i),
          voxels: perSegment.get(seg.number) ?? 0,
        })),
        slices,
        unmatchedFrames: placed.unmatchedFrames.length,
      };
    },

    'seg.slice': async ({ segInstanceId, seriesId, sliceIndex }) => {
      const order = sliceOrder(seriesId);
      if (sliceIndex >= order.length)
        throw new OslerError('not-found', `series ${seriesId} has ${order.length} slices`);
      const placed = await wrapDicom(() => segmentations.placed(segInstanceId, seriesId, order));
      const perSlice = placed.rows * placed.columns;
      return { sliceIndex, labelmap: placed.labelmap.slice(sliceIndex * perSlice, (sliceIndex + 1) * perSlice) };
    },

    'series.thumbnail': async ({ seriesId, size }) => {
      const found = getSeries(db, seriesId);
      if (found === null) throw new OslerError('not-found', `no series ${seriesId}`);
      const order = displayOrder(found.geometry as StoredGeometry | null, listInstances(db, seriesId));
      const middle = order[Math.floor(order.length / 2)];
      const empty = { rows: 0, columns: 0, format: 'gray' as const, pixels: new Uint8Array(0) };
      if (!middle || found.rows === null) return empty;
      try {
        return await frames.thumbnail(middle.id, middle.path, size ?? 96);
      } catch (error) {
        // A series without decodable pixels (SR, RTSTRUCT, unsupported syntax) simply has no preview.
        if (error instanceof DicomParseError) return empty;
        throw error;
      }
    },

    'frames.get': async ({ instanceId, frame }) => {
      const file = instanceFile(db, instanceId);
      if (file === null) throw new OslerError('not-found', `no instance ${instanceId}`);
      try {
        return await frames.get(instanceId, file.path, frame);
      } catch (error) {
        if (error instanceof OslerError) throw error;
        const reason = (error as { reason?: string }).reason;
        if (reason)
          throw new OslerError('unavailable', `frame ${frame} of instance ${instanceId}: ${(error as Error).message}`);
        throw error;
      }
    },
  };
}
