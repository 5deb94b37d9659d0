/**
 * A DICOM RLE frame of the given byte planes (most significant first), PackBits literal runs only,
 * with `pad` zero bytes after the last segment.
 */
export function rleFrame(planes: Uint8Array[], pad = 0): Uint8Array {
  const segments = planes.map((p) => {
    const out: number[] = [];
    for (let i = 0; i < p.length; i += 128) {
      const run = p.subarray(i, Math.min(p.length, i + 128));
      out.push(run.length - 1, ...run);
    }
    return out;
  });
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, planes.length, true);
  let at = 64;
  segments.forEach((s, i) => {
    view.setUint32(4 + i * 4, at, true);
    at += s.length;
  });
  return Uint8Array.from([...header, ...segments.flat(), ...new Array<number>(pad).fill(0)]);
}
