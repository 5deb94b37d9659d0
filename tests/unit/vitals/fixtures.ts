// Encoders that build small WFDB records and annotation files at test time.

/** Packs interleaved samples in format 212. */
export function enc212(samples: number[]): Buffer {
  const out = Buffer.alloc(Math.ceil((samples.length * 3) / 2));
  for (let i = 0, p = 0; i < samples.length; i += 2, p += 3) {
    const a = samples[i]! & 0xfff;
    const b = (samples[i + 1] ?? 0) & 0xfff;
    out[p] = a & 0xff;
    out[p + 1] = ((a >> 8) & 0x0f) | ((b >> 4) & 0xf0);
    if (i + 1 < samples.length) out[p + 2] = b & 0xff;
  }
  return out;
}

/** Encodes annotations (sample, code, aux?) in MIT format. */
export function encAnnotations(list: Array<{ sample: number; code: number; aux?: string }>): Buffer {
  let t = 0;
  const bytes: number[] = [];
  const push = (w: number) => bytes.push(w & 0xff, (w >> 8) & 0xff);
  for (const a of list) {
    let d = a.sample - t;
    if (d > 1023) {
      push(59 << 10);
      push((d >>> 16) & 0xffff);
      push(d & 0xffff);
      d = 0;
    }
    push((a.code << 10) | d);
    if (a.aux !== undefined) {
      const aux = Buffer.from(`${a.aux}\0`, 'latin1');
      push((63 << 10) | aux.length);
      for (const b of aux) bytes.push(b);
      if (aux.length & 1) bytes.push(0);
    }
    t = a.sample;
  }
  push(0);
  return Buffer.from(bytes);
}
