import { z } from 'zod';

/** A store row id. */
export const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** A file or folder path given by the user (import sources). */
export const userPathSchema = z.string().min(1).max(4096);
const count = z.number().int().nonnegative();

/** Progress of a running import (DICOM, notes or vitals). */
export const importProgressSchema = z.strictObject({
  /** Identifies the import run (returned by the import call too). */
  jobId: z.string(),
  kind: z.enum(['dicom', 'notes', 'vitals']),
  filesSeen: count,
  imported: count,
  duplicates: count,
  skipped: count,
});

/** Answer of `dicom.import`. */
export const dicomImportReportSchema = z.strictObject({
  jobId: z.string(),
  filesSeen: count,
  imported: count,
  duplicates: count,
  skipped: count,
  /** Skipped files with the reason for each (at most 1000 listed; `skipped` counts all). */
  skippedFiles: z.array(z.strictObject({ path: z.string(), reason: z.string() })),
  studyIds: z.array(idSchema),
  seriesIds: z.array(idSchema),
});

/** A study as the worklist and series browser list it. */
export const studySummarySchema = z.strictObject({
  id: idSchema,
  patientId: idSchema,
  patientKey: z.string(),
  patientName: z.string().nullable(),
  studyUid: z.string(),
  /** ISO date. */
  studyDate: z.string().nullable(),
  description: z.string().nullable(),
  /** Backslash-separated modalities of its series. */
  modalities: z.string().nullable(),
  seriesCount: count,
  instanceCount: count,
});

/** A series as the series browser lists it. */
export const seriesSummarySchema = z.strictObject({
  id: idSchema,
  studyId: idSchema,
  seriesUid: z.string(),
  modality: z.string().nullable(),
  seriesNumber: z.number().int().nullable(),
  description: z.string().nullable(),
  rows: z.number().int().nullable(),
  columns: z.number().int().nullable(),
  frameCount: count,
  instanceCount: count,
});

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

/** A series opened for viewing: its frames in display order and its geometry. */
export const seriesDetailSchema = z.strictObject({
  series: seriesSummarySchema,
  /** Frames in display order (spatial when the geometry allows, else by instance number). */
  frames: z.array(
    z.strictObject({
      instanceId: idSchema,
      /** Frame index within the instance (0-based). */
      frame: count,
      /** ImagePositionPatient of the frame (mm, LPS) when known. */
      positionMm: vec3.nullable(),
    }),
  ),
  geometry: z.strictObject({
    sortedBy: z.string(),
    /** Slice normal (LPS). */
    normal: vec3.nullable(),
    rowDirection: vec3.nullable(),
    columnDirection: vec3.nullable(),
    sliceSpacingMm: z.number().nullable(),
    uniformSpacing: z.boolean(),
    pixelSpacingMm: z.tuple([z.number(), z.number()]).nullable(),
    tiltDeg: z.number(),
    /** Problems found (gantry-tilt, uneven-spacing, ...): reported, never silently corrected. */
    issues: z.array(z.string()),
  }),
});

/** Typed arrays a frame can arrive in. */
export type PixelArray =
  | Uint8Array<ArrayBufferLike>
  | Int8Array<ArrayBufferLike>
  | Uint16Array<ArrayBufferLike>
  | Int16Array<ArrayBufferLike>
  | Uint32Array<ArrayBufferLike>
  | Int32Array<ArrayBufferLike>
  | Float32Array<ArrayBufferLike>;

const PIXEL_ARRAY_TYPES = [Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array];

/** Schema of a {@link PixelArray}. */
export const pixelArraySchema = z.custom<PixelArray>(
  (value) => PIXEL_ARRAY_TYPES.some((type) => value instanceof type),
  'expected a typed array of pixels',
);

/** A VOI window in modality units (Hounsfield for CT). */
export const windowSchema = z.strictObject({
  center: z.number(),
  width: z.number().positive(),
  explanation: z.string().optional(),
});

/**
 * One decoded frame, as binary (never JSON-encoded on the wire). Grayscale frames carry stored
 * values plus the modality rescale so windowing happens on the GPU; colour frames carry RGB bytes.
 */
export const frameSchema = z.strictObject({
  instanceId: idSchema,
  frame: count,
  rows: z.number().int().positive(),
  columns: z.number().int().positive(),
  /** `gray`: `pixels` are stored grayscale values; `rgb`: display-ready RGB bytes, pixel-interleaved (colour and palette images). */
  format: z.enum(['gray', 'rgb']),
  /** Source Photometric Interpretation (MONOCHROME1 is shown inverted). */
  photometric: z.string(),
  pixels: pixelArraySchema,
  /** Modality value = stored * slope + intercept. */
  rescale: z.strictObject({ slope: z.number(), intercept: z.number(), type: z.string().optional() }),
  /** The file's own window presets. */
  windows: z.array(windowSchema),
  voiFunction: z.enum(['LINEAR', 'LINEAR_EXACT', 'SIGMOID']),
  /** Smallest and largest modality value in the frame. */
  minValue: z.number(),
  maxValue: z.number(),
  /** [row spacing, column spacing] in mm, and whether it is calibrated Pixel Spacing. */
  pixelSpacingMm: z.tuple([z.number(), z.number()]).nullable(),
  spacingSource: z.enum(['pixel-spacing', 'imager-pixel-spacing']).nullable(),
});

/** A measurement or marker drawn on an image, as stored. */
export const annotationSchema = z.strictObject({
  id: idSchema,
  targetKind: z.enum(['instance', 'series', 'study', 'note', 'recording']),
  targetId: idSchema,
  /** Tool name (Length, EllipticalROI, RectangleROI, Probe, Angle). */
  kind: z.string(),
  /** Tool data: points in patient coordinates (mm, LPS), the image it is on, computed statistics. */
  data: z.unknown(),
  author: z.string().nullable(),
  /** ISO timestamp. */
  createdAt: z.string(),
});

/** Tool data accepted from the viewer: a JSON object (no BigInt, functions or other non-JSON values). */
const annotationDataSchema = z.record(z.string().max(100), z.json());

const rgbSchema = z.tuple([z.number().int(), z.number().int(), z.number().int()]);

/** A segmentation placed on a series: its segments and which slices they touch. */
export const segmentationSchema = z.strictObject({
  segInstanceId: idSchema,
  rows: z.number().int().positive(),
  columns: z.number().int().positive(),
  type: z.enum(['BINARY', 'FRACTIONAL']),
  segments: z.array(
    z.strictObject({
      number: z.number().int().positive(),
      label: z.string(),
      description: z.string().nullable(),
      algorithmType: z.string().nullable(),
      /** Display colour (the SEG's recommended CIELab colour, else a palette colour). */
      color: rgbSchema,
      /** Voxels of this segment over the whole series. */
      voxels: count,
    }),
  ),
  /** Slices (indexes into `series.get` frames) with any voxel, and how many. */
  slices: z.array(z.strictObject({ sliceIndex: count, voxels: count })),
  /** SEG frames that matched no slice of this series (reported, never dropped silently). */
  unmatchedFrames: count,
});

/** Imaging channels. */
export const imagingChannels = {
  /** Imports DICOM files and folders (recursively, DICOMDIR aware) into the store. */
  'dicom.import': {
    input: z.strictObject({ paths: z.array(userPathSchema).min(1).max(256) }),
    output: dicomImportReportSchema,
  },
  /** Studies, newest first, optionally of one patient. */
  'studies.list': {
    input: z.strictObject({ patientId: idSchema.optional() }),
    output: z.array(studySummarySchema),
  },
  /** Series of a study. */
  'series.list': { input: z.strictObject({ studyId: idSchema }), output: z.array(seriesSummarySchema) },
  /** A series opened for viewing: ordered frames and geometry. */
  'series.get': { input: z.strictObject({ seriesId: idSchema }), output: seriesDetailSchema },
  /** A small preview of a series' middle image at its own window, for the series browser. */
  'series.thumbnail': {
    input: z.strictObject({ seriesId: idSchema, size: z.number().int().min(16).max(256).optional() }),
    output: z.strictObject({
      rows: z.number().int().nonnegative(),
      columns: z.number().int().nonnegative(),
      /** Gray bytes (`gray`) or RGB bytes (`rgb`), row-major; empty when the series has no image. */
      format: z.enum(['gray', 'rgb']),
      pixels: pixelArraySchema,
    }),
  },
  /** One decoded frame as a typed array. */
  'frames.get': {
    input: z.strictObject({ instanceId: idSchema, frame: z.number().int().min(0).max(99_999) }),
    output: frameSchema,
  },
  /** Measurements saved on a series, oldest first. */
  'annotations.list': { input: z.strictObject({ seriesId: idSchema }), output: z.array(annotationSchema) },
  /** Saves a new measurement on a series (durably, audited). */
  'annotations.save': {
    input: z.strictObject({ seriesId: idSchema, kind: z.string().min(1).max(64), data: annotationDataSchema }),
    output: annotationSchema,
  },
  /** Replaces a measurement's data after an edit. */
  'annotations.update': {
    input: z.strictObject({ id: idSchema, data: annotationDataSchema }),
    output: z.strictObject({ id: idSchema }),
  },
  /** Deletes a measurement. */
  'annotations.delete': { input: z.strictObject({ id: idSchema }), output: z.strictObject({ id: idSchema }) },
  /** Overlays available for a series: DICOM SEG objects that reference it. */
  'overlays.list': {
    input: z.strictObject({ seriesId: idSchema }),
    output: z.strictObject({
      segmentations: z.array(
        z.strictObject({ instanceId: idSchema, seriesId: idSchema, description: z.string().nullable() }),
      ),
    }),
  },
  /** A DICOM SEG placed on a series' slices. */
  'seg.get': { input: z.strictObject({ segInstanceId: idSchema, seriesId: idSchema }), output: segmentationSchema },
  /** The label map (segment number per pixel, 0 outside) of one slice, as a typed array. */
  'seg.slice': {
    input: z.strictObject({
      segInstanceId: idSchema,
      seriesId: idSchema,
      sliceIndex: z.number().int().min(0).max(99_999),
    }),
    output: z.strictObject({ sliceIndex: count, labelmap: pixelArraySchema }),
  },
} as const;

/** Imaging events. */
export const imagingEvents = {
  /** Progress of a running import. */
  'import.progress': importProgressSchema,
} as const;
