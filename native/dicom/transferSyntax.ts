/** Which codec decodes a transfer syntax's pixel data. */
export type Codec = 'native' | 'rle' | 'jpeg-baseline' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000' | 'htj2k' | 'none';

/** What the engine knows of one transfer syntax. */
export interface TransferSyntax {
  readonly uid: string;
  /** Short stable key used in benchmarks and the CLI, e.g. `jpeg-ls-lossless`. */
  readonly key: string;
  readonly name: string;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  readonly deflated: boolean;
  readonly encapsulated: boolean;
  readonly lossy: boolean;
  readonly codec: Codec;
}

function ts(uid: string, key: string, name: string, codec: Codec, extra: Partial<TransferSyntax> = {}): TransferSyntax {
  const encapsulated = codec !== 'native';
  return {
    uid,
    key,
    name,
    explicitVr: true,
    littleEndian: true,
    deflated: false,
    encapsulated,
    lossy: false,
    codec,
    ...extra,
  };
}

const LIST: readonly TransferSyntax[] = [
  ts('1.2.840.10008.1.2', 'implicit-le', 'Implicit VR Little Endian', 'native', { explicitVr: false }),
  ts('1.2.840.10008.1.2.1', 'explicit-le', 'Explicit VR Little Endian', 'native'),
  ts('1.2.840.10008.1.2.1.99', 'deflated-le', 'Deflated Explicit VR Little Endian', 'native', { deflated: true }),
  ts('1.2.840.10008.1.2.2', 'explicit-be', 'Explicit VR Big Endian', 'native', { littleEndian: false }),
  ts('1.2.840.10008.1.2.5', 'rle', 'RLE Lossless', 'rle'),
  ts('1.2.840.10008.1.2.4.50', 'jpeg-baseline', 'JPEG Baseline (Process 1)', 'jpeg-baseline', { lossy: true }),
  ts('1.2.840.10008.1.2.4.51', 'jpeg-extended', 'JPEG Extended (Process 2 & 4)', 'jpeg-baseline', { lossy: true }),
  ts('1.2.840.10008.1.2.4.57', 'jpeg-lossless', 'JPEG Lossless, Non-Hierarchical (Process 14)', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.70', 'jpeg-lossless-sv1', 'JPEG Lossless, Process 14, Selection Value 1', 'jpeg-lossless'),
  ts('1.2.840.10008.1.2.4.80', 'jpeg-ls-lossless', 'JPEG-LS Lossless', 'jpeg-ls'),
  ts('1.2.840.10008.1.2.4.81', 'jpeg-ls-near-lossless', 'JPEG-LS Near-Lossless', 'jpeg-ls', { lossy: true }),
  ts('1.2.840.10008.1.2.4.90', 'jpeg2000-lossless', 'JPEG 2000 (Lossless Only)', 'jpeg2000'),
  ts('1.2.840.10008.1.2.4.91', 'jpeg2000', 'JPEG 2000', 'jpeg2000', { lossy: true }),
  ts('1.2.840.10008.1.2.4.201', 'htj2k-lossless', 'High-Throughput JPEG 2000 (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.202', 'htj2k-rpcl', 'High-Throughput JPEG 2000 with RPCL (Lossless Only)', 'htj2k'),
  ts('1.2.840.10008.1.2.4.203', 'htj2k', 'High-Throughput JPEG 2000', 'htj2k', { lossy: true }),
];

const BY_UID = new Map(LIST.map((t) => [t.uid, t]));

/** Known-but-undecodable syntaxes, so errors can name them. */
const UNSUPPORTED_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile',
  '1.2.840.10008.1.2.4.101': 'MPEG2 High Profile',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 2D',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 3D',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component (Lossless Only)',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.111': 'JPEG XL JPEG Recompression',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
};

/** Every transfer syntax the engine parses. */
export function transferSyntaxes(): readonly TransferSyntax[] {
  return LIST;
}

/** The transfer syntax for a UID, or undefined when the engine does not know it. */
export function transferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid.replace(/\0/g, '').trim());
}

/** A human name for any transfer syntax UID (known, known-unsupported, or the bare UID). */
export function transferSyntaxName(uid: string): string {
  return transferSyntax(uid)?.name ?? UNSUPPORTED_NAMES[uid] ?? uid;
}
