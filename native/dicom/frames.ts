import { createRequire } from 'node:module';
import type * as DicomParserNs from 'dicom-parser';
import type { DicomDataset } from './dataset.js';
import { DicomParseError, thrownText } from './errors.js';
import { samplesPerFrame, type PixelModule } from './pixelModule.js';

const require = createRequire(import.meta.url);
const dicomParser = require('dicom-parser') as typeof DicomParserNs;

/** Where one frame's bytes live: native pixel data (with a bit offset for 1-bit data) or a compressed stream. */
export type FrameBytes =
  | { readonly kind: 'native'; readonly bytes: Uint8Array; readonly bitOffset: number }
  | { readonly kind: 'encapsulated'; readonly bytes: Uint8Array };

/**
 * The bytes of frame `index` (0-based). Native data is sliced without copying; encapsulated frames come from
 * the Extended or Basic Offset Table, one fragment per frame, or split at codec start markers when the table is
 * empty and frames span several fragments.
 * @throws DicomParseError `frame-out-of-range`, `truncated`, `no-pixel-data`, `bad-length`.
 */
export function frameBytes(ds: DicomDataset, pm: PixelModule, index: number, encapsulated: boolean): FrameBytes {
  if (!Number.isInteger(index) || index < 0 || index >= pm.numberOfFrames) {
    throw new DicomParseError('frame-out-of-range', `frame ${index} is outside 0..${pm.numberOfFrames - 1}`);
  }
  const key = pm.floatPixels
    ? ds.has('DoubleFloatPixelData')
      ? 'DoubleFloatPixelData'
      : 'FloatPixelData'
    : 'PixelData';
  const el = ds.element(key);
  if (!el) throw new DicomParseError('no-pixel-data', 'the data set has no Pixel Data');
  if (!encapsulated || pm.floatPixels) {
    if (el.encapsulatedPixelData)
      throw new DicomParseError('bad-length', 'Pixel Data is encapsulated but the transfer syntax is native');
    return nativeFrame(ds, pm, el, index);
  }
  if (!el.fragments && el.hadUndefinedLength) locateFragments(ds, el);
  if (!el.encapsulatedPixelData || !el.fragments) {
    throw new DicomParseError('bad-length', 'the transfer syntax is encapsulated but Pixel Data has a defined length');
  }
  return { kind: 'encapsulated', bytes: encapsulatedFrame(ds, pm, el, index) };
}

function nativeFrame(ds: DicomDataset, pm: PixelModule, el: DicomParserNs.Element, index: number): FrameBytes {
  // Uncompressed YBR_FULL_422 stores two samples per pixel (Y Y Cb Cr for each pixel pair).
  const samples = pm.photometricInterpretation === 'YBR_FULL_422' ? pm.rows * pm.columns * 2 : samplesPerFrame(pm);
  const frameBits = samples * pm.bitsAllocated;
  const startBit = frameBits * index;
  const endByte = Math.ceil((startBit + frameBits) / 8);
  if (endByte > el.length) {
    throw new DicomParseError('truncated', `Pixel Data holds ${el.length} bytes, frame ${index} needs ${endByte}`);
  }
  const startByte = Math.floor(startBit / 8);
  const bytes = ds.raw.byteArray.subarray(el.dataOffset + startByte, el.dataOffset + endByte);
  return { kind: 'native', bytes, bitOffset: startBit % 8 };
}

function encapsulatedFrame(ds: DicomDataset, pm: PixelModule, el: DicomParserNs.Element, index: number): Uint8Array {
  const fragments = el.fragments!;
  if (fragments.length === 0) throw new DicomParseError('no-pixel-data', 'encapsulated Pixel Data has no fragments');
  const data = ds.raw.byteArray;
  for (const f of fragments) {
    if (f.position < 0 || f.position + f.length > data.length)
      throw new DicomParseError('truncated', 'a Pixel Data fragment runs past the end of the data');
  }
  try {
    const eot = ds.bytes('ExtendedOffsetTable');
    if (eot && eot.length === pm.numberOfFrames * 8) {
      const view = new DataView(eot.buffer, eot.byteOffset, eot.length);
      const lengths = ds.bytes('ExtendedOffsetTableLengths');
      const lview =
        lengths && lengths.length === eot.length
          ? new DataView(lengths.buffer, lengths.byteOffset, lengths.length)
          : undefined;
      const start = Number(view.getBigUint64(index * 8, true));
      const fragment = fragments.find((f) => f.offset === start);
      if (fragment) {
        const len = lview ? Number(lview.getBigUint64(index * 8, true)) : fragment.length;
        return data.subarray(fragment.position, fragment.position + Math.min(len, fragment.length));
      }
    }
    const bot = el.basicOffsetTable ?? [];
    if (bot.length > 0) {
      if (bot.length !== pm.numberOfFrames)
        throw new DicomParseError(
          'bad-length',
          `Basic Offset Table has ${bot.length} entries for ${pm.numberOfFrames} frames`,
        );
      return dicomParser.readEncapsulatedImageFrame(ds.raw, el, index, bot, fragments);
    }
    if (pm.numberOfFrames === 1)
      return dicomParser.readEncapsulatedPixelDataFromFragments(ds.raw, el, 0, fragments.length, fragments);
    if (fragments.length === pm.numberOfFrames) {
      const f = fragments[index]!;
      return data.subarray(f.position, f.position + f.length);
    }
    const starts = frameStartFragments(data, fragments);
    if (starts.length !== pm.numberOfFrames) {
      throw new DicomParseError(
        'bad-length',
        `cannot split ${fragments.length} fragments into ${pm.numberOfFrames} frames without an offset table`,
      );
    }
    const first = starts[index]!;
    const count = (starts[index + 1] ?? fragments.length) - first;
    return dicomParser.readEncapsulatedPixelDataFromFragments(ds.raw, el, first, count, fragments);
  } catch (e) {
    if (e instanceof DicomParseError) throw e;
    throw new DicomParseError('bad-length', `cannot read frame ${index}: ${thrownText(e)}`, { cause: e });
  }
}

/** Indices of fragments that begin a codestream: JPEG/JPEG-LS SOI (FFD8) or JPEG 2000 SOC+SIZ (FF4F FF51). */
function frameStartFragments(data: Uint8Array, fragments: readonly DicomParserNs.Fragment[]): number[] {
  const out: number[] = [];
  fragments.forEach((f, i) => {
    const p = f.position;
    if (f.length < 4) return;
    const soi = data[p] === 0xff && data[p + 1] === 0xd8;
    const soc = data[p] === 0xff && data[p + 1] === 0x4f && data[p + 2] === 0xff && data[p + 3] === 0x51;
    if (soi || soc) out.push(i);
  });
  return out;
}

/** Implicit-VR data sets (a writer's mismatch) leave undefined-length Pixel Data unsplit: find its fragments. */
function locateFragments(ds: DicomDataset, el: DicomParserNs.Element): void {
  try {
    const stream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, ds.raw.byteArray, el.dataOffset);
    const probe: DicomParserNs.Element = { tag: el.tag, length: 0xffffffff, dataOffset: el.dataOffset };
    dicomParser.findEndOfEncapsulatedElement(stream, probe, []);
    el.fragments = probe.fragments ?? [];
    el.basicOffsetTable = probe.basicOffsetTable ?? [];
    el.encapsulatedPixelData = true;
  } catch (e) {
    throw new DicomParseError(
      'bad-length',
      `encapsulated Pixel Data cannot be split into fragments: ${thrownText(e)}`,
      { cause: e },
    );
  }
}
