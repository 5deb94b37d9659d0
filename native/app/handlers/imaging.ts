import { randomUUID } from 'node:crypto';
import { OslerError } from '../../contract/result.js';
import { addAnnotation, deleteAnnotation, listAnnotations, updateAnnotation } from '../../store/annotations.js';
import { writeAudit } from '../../store/audit.js';
import { importDicom } from '../../store/dicomImport.js';
import { getSeries, instanceFile, listInstances, listSeries, listStudies } from '../../store/imaging.js';
import type { CoreContext, HandlerGroup } from '../context.js';
import { FrameService } from '../services/frames.js';

type Vec3 = [number, number, number];

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
  | 'annotations.list'
  | 'annotations.save'
  | 'annotations.update'
  | 'annotations.delete'
> {
  const db = ctx.store.db;
  const frames = new FrameService(ctx.home);

  return {
    'dicom.import': async ({ paths }, call) => {
      const jobId = randomUUID();
      const report = await importDicom(db, ctx.home, paths, {
        actor: call.via,
        onProgress: (p) => ctx.emit('import.progress', { jobId, kind: 'dicom', ...p }),
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
        actor: call.via,
        action: 'studies.list',
        targetKind: patientId === undefined ? null : 'patient',
        targetId: patientId ?? null,
        detail: { count: studies.length },
      });
      return studies;
    },

    'series.list': ({ studyId }) => listSeries(db, studyId).map(({ geometry: _g, ...summary }) => summary),

    'series.get': ({ seriesId }, call) => {
      const found = getSeries(db, seriesId);
      if (found === null) throw new OslerError('not-found', `no series ${seriesId}`);
      const { geometry: raw, ...series } = found;
      const geometry = (raw ?? {}) as StoredGeometry;
      const instances = listInstances(db, seriesId);
      const byId = new Map(instances.map((i) => [i.id, i]));
      // Geometry order first (spatial), then anything it does not list, by instance number.
      const ordered = (geometry.order ?? []).map((id) => byId.get(id)).filter((i) => i !== undefined);
      const listed = new Set(ordered.map((i) => i.id));
      for (const i of instances) if (!listed.has(i.id)) ordered.push(i);
      const frameList = ordered.flatMap((i) =>
        Array.from({ length: i.frames }, (_, frame) => ({
          instanceId: i.id,
          frame,
          positionMm: i.frames === 1 && i.positionMm?.length === 3 ? (i.positionMm as Vec3) : null,
        })),
      );
      writeAudit(db, { actor: call.via, action: 'series.get', targetKind: 'series', targetId: seriesId });
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

    'annotations.list': ({ seriesId }) => listAnnotations(db, 'series', seriesId),

    'annotations.save': ({ seriesId, kind, data }, call) => {
      if (getSeries(db, seriesId) === null) throw new OslerError('not-found', `no series ${seriesId}`);
      return addAnnotation(db, { targetKind: 'series', targetId: seriesId, kind, data }, call.via);
    },

    'annotations.update': ({ id, data }, call) => {
      if (!updateAnnotation(db, id, data, call.via)) throw new OslerError('not-found', `no annotation ${id}`);
      return { id };
    },

    'annotations.delete': ({ id }, call) => {
      if (!deleteAnnotation(db, id, call.via)) throw new OslerError('not-found', `no annotation ${id}`);
      return { id };
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
