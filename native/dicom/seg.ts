import type { DicomDataset } from './dataset.js';
import { decodeFrame } from './decode.js';
import { DicomParseError } from './errors.js';
import { patientToPixel, type SliceGeometryInput } from './geometry.js';

/** A source image the segmentation is aligned to, in the caller's (usually sorted) order. */
export interface SourceSlice {
  readonly sopInstanceUid: string;
  readonly geometry?: SliceGeometryInput;
}

/** One segment of a SEG. */
export interface SegmentInfo {
  readonly number: number;
  readonly label: string;
  readonly description?: string;
  readonly algorithmType?: string;
  /** Recommended display colour as DICOM CIELab (0..65535 scaled). */
  readonly cielab?: readonly number[];
}

/** Where one SEG frame landed. */
export interface SegFrameMapping {
  readonly frameIndex: number;
  readonly segmentNumber: number;
  /** Index into the `sources` array given to {@link readSegmentation}, or -1 when it matched none. */
  readonly sliceIndex: number;
  readonly matchedBy: 'referenced-sop' | 'position' | 'none';
}

/** A segmentation resampled onto nothing: frames placed on the source slices they reference. */
export interface Segmentation {
  readonly type: 'BINARY' | 'FRACTIONAL';
  readonly fractionalType?: string;
  readonly rows: number;
  readonly columns: number;
  readonly segments: readonly SegmentInfo[];
  readonly frames: readonly SegFrameMapping[];
  /**
   * Per segment number, a volume of sources.length x rows x columns (slice-major, then row, then column):
   * 0/1 for BINARY, 0..255 (fraction x 255) for FRACTIONAL.
   */
  readonly masks: ReadonlyMap<number, Uint8Array>;
  /** Label map of the same shape: the segment number per voxel (highest-numbered segment wins on overlap), 0 outside. */
  readonly labelmap: Uint8Array;
  /** Frames that matched no source slice; reported, never dropped silently. */
  readonly unmatchedFrames: readonly number[];
}

/**
 * Read a DICOM SEG (binary or fractional) and place each frame on the source slice it derives from: via the
 * per-frame Derivation Image / Source Image references, else by Plane Position along the source normal.
 * @throws DicomParseError `bad-attribute` when the SEG is not a segmentation or its size differs from the sources.
 */
export async function readSegmentation(seg: DicomDataset, sources: readonly SourceSlice[]): Promise<Segmentation> {
  const type = seg.string('SegmentationType')?.toUpperCase();
  if (type !== 'BINARY' && type !== 'FRACTIONAL')
    throw new DicomParseError('bad-attribute', `Segmentation Type "${type ?? ''}" is not BINARY or FRACTIONAL`);
  const rows = seg.number('Rows') ?? 0;
  const columns = seg.number('Columns') ?? 0;
  for (const s of sources) {
    const g = s.geometry;
    if (g?.rows !== undefined && g.columns !== undefined && (g.rows !== rows || g.columns !== columns)) {
      throw new DicomParseError(
        'bad-attribute',
        `SEG is ${columns}x${rows} but source ${s.sopInstanceUid} is ${g.columns}x${g.rows}`,
      );
    }
  }
  const segments: SegmentInfo[] = seg.sequence('SegmentSequence').map((item) => {
    const description = item.string('SegmentDescription');
    const algorithmType = item.string('SegmentAlgorithmType');
    const cielab = item.numbers('RecommendedDisplayCIELabValue');
    return {
      number: item.number('SegmentNumber') ?? 0,
      label: item.string('SegmentLabel') ?? '',
      ...(description ? { description } : {}),
      ...(algorithmType ? { algorithmType } : {}),
      ...(cielab.length === 3 ? { cielab } : {}),
    };
  });
  const frameCount = Number(seg.string('NumberOfFrames') ?? '1');
  const perFrame = seg.sequence('PerFrameFunctionalGroupsSequence');
  const shared = seg.sequence('SharedFunctionalGroupsSequence')[0];
  const bySop = new Map(sources.map((s, i) => [s.sopInstanceUid, i]));
  const maxFraction = seg.number('MaximumFractionalValue') ?? 255;
  const sliceSize = rows * columns;
  const masks = new Map<number, Uint8Array>();
  const labelmap = new Uint8Array(sources.length * sliceSize);
  const frames: SegFrameMapping[] = [];
  const unmatched: number[] = [];
  for (let f = 0; f < frameCount; f++) {
    const group = perFrame[f];
    const segmentNumber =
      group?.sequence('SegmentIdentificationSequence')[0]?.number('ReferencedSegmentNumber') ??
      shared?.sequence('SegmentIdentificationSequence')[0]?.number('ReferencedSegmentNumber') ??
      (segments.length === 1 ? segments[0]!.number : 0);
    let sliceIndex = -1;
    let matchedBy: SegFrameMapping['matchedBy'] = 'none';
    for (const uid of referencedSops(group)) {
      const i = bySop.get(uid);
      if (i !== undefined) {
        sliceIndex = i;
        matchedBy = 'referenced-sop';
        break;
      }
    }
    if (sliceIndex < 0) {
      const ipp = (
        group?.sequence('PlanePositionSequence')[0] ?? shared?.sequence('PlanePositionSequence')[0]
      )?.numbers('ImagePositionPatient');
      if (ipp?.length === 3) {
        sliceIndex = matchByPosition(ipp as [number, number, number], sources);
        if (sliceIndex >= 0) matchedBy = 'position';
      }
    }
    frames.push({ frameIndex: f, segmentNumber, sliceIndex, matchedBy });
    if (sliceIndex < 0) {
      unmatched.push(f);
      continue;
    }
    const decoded = await decodeFrame(seg, f);
    let mask = masks.get(segmentNumber);
    if (!mask) {
      mask = new Uint8Array(sources.length * sliceSize);
      masks.set(segmentNumber, mask);
    }
    const base = sliceIndex * sliceSize;
    const v = decoded.values;
    for (let i = 0; i < sliceSize; i++) {
      const value =
        type === 'BINARY' ? (v[i]! ? 1 : 0) : Math.round((Math.min(v[i]!, maxFraction) / maxFraction) * 255);
      if (value > mask[base + i]!) mask[base + i] = value;
      if ((type === 'BINARY' ? value > 0 : value >= 128) && segmentNumber > labelmap[base + i]!)
        labelmap[base + i] = segmentNumber;
    }
  }
  const fractionalType = seg.string('SegmentationFractionalType');
  return {
    type,
    ...(fractionalType ? { fractionalType } : {}),
    rows,
    columns,
    segments,
    frames,
    masks,
    labelmap,
    unmatchedFrames: unmatched,
  };
}

function referencedSops(group: DicomDataset | undefined): string[] {
  if (!group) return [];
  const out: string[] = [];
  for (const d of group.sequence('DerivationImageSequence')) {
    for (const src of d.sequence('SourceImageSequence')) {
      const uid = src.string('ReferencedSOPInstanceUID');
      if (uid) out.push(uid);
    }
  }
  return out;
}

/** The source slice whose plane contains the point (within half a pixel in-plane and 0.5 mm off-plane). */
function matchByPosition(point: [number, number, number], sources: readonly SourceSlice[]): number {
  let best = -1;
  let bestDist = Infinity;
  sources.forEach((s, i) => {
    if (!s.geometry) return;
    const p = patientToPixel(s.geometry, point);
    if (!p || Math.abs(p.column) > 0.5 || Math.abs(p.row) > 0.5) return;
    const d = Math.abs(p.distanceMm);
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  });
  return bestDist <= 0.5 ? best : -1;
}
