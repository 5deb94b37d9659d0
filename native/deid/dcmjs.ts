import { createRequire } from 'node:module';

/** One element of a dcmjs dataset ("naturalised" is not used: tags stay as 8 hex digits). */
export interface DcmElement {
  vr: string;
  Value?: unknown[];
  /** dcmjs keeps the bytes it read; it writes them back when `Value` is unchanged. */
  _rawValue?: unknown;
  [key: string]: unknown;
}

/** A dcmjs dataset: element by tag (8 upper-case hex digits). */
export type DcmDataset = Record<string, DcmElement>;

/** A parsed Part 10 file: file meta group and dataset. */
export interface DcmFile {
  meta: DcmDataset;
  dict: DcmDataset;
  write(options?: Record<string, unknown>): ArrayBuffer;
}

interface DcmjsModule {
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DcmFile;
    };
    DicomDict: new (meta: DcmDataset) => DcmFile;
    DicomMetaDictionary: { dictionary: Record<string, { vr?: string; name?: string } | undefined> };
  };
  log: { setLevel(level: string): void; getLogger(name: string): { setLevel(level: string): void } };
}

const require = createRequire(import.meta.url);
let loaded: DcmjsModule | null = null;

/**
 * dcmjs, loaded once with its console logging limited to errors (it warns per odd element, which
 * would flood the CLI). dcmjs ships no type declarations; this module types the part Osler uses.
 */
export function dcmjs(): DcmjsModule {
  if (loaded === null) {
    loaded = require('dcmjs') as DcmjsModule;
    loaded.log.setLevel('error');
    // Its validation logger reports, as errors, the ordinary resolution of an implicit-VR file's
    // ambiguous VRs (US or SS, OB or OW); they are not errors of the file.
    loaded.log.getLogger('validation.dcmjs').setLevel('silent');
  }
  return loaded;
}

/** Views a Node buffer as the standalone ArrayBuffer dcmjs reads. */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
