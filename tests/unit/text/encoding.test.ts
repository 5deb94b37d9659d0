import iconv from 'iconv-lite';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeBuffer, detectEncoding, normaliseEncoding } from '../../../native/text/encoding.js';
import { LineEndingNormaliser, splitLines } from '../../../native/text/lines.js';

const text = 'Patient: Zoë Müller, fièvre 38,5 °C — “élevée”.\nSecond line.';

describe('encoding detection', () => {
  it.each([
    ['utf-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8', 'bom'],
    ['utf-8', Buffer.from(text), 'utf-8', 'utf8-valid'],
    ['ascii', Buffer.from('plain ascii'), 'utf-8', 'ascii'],
    [
      'utf-16le with BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]),
      'utf-16le',
      'bom',
    ],
    [
      'utf-16be with BOM',
      Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, 'utf-16be')]),
      'utf-16be',
      'bom',
    ],
    ['utf-16le without BOM', iconv.encode(text, 'utf-16le'), 'utf-16le', 'utf16-pattern'],
    ['utf-16be without BOM', iconv.encode(text, 'utf-16be'), 'utf-16be', 'utf16-pattern'],
  ])('%s', (_name, bytes, encoding, method) => {
    const choice = detectEncoding(bytes, true);
    expect(choice).toMatchObject({ encoding, method });
    expect(decodeBuffer(bytes, choice.encoding)).toBe(method === 'ascii' ? 'plain ascii' : text);
  });

  it('reads Latin-1 and Windows-1252 bytes as Windows-1252 (curly quotes and dashes survive)', () => {
    const latin = iconv.encode('Zoë Müller, fièvre élevée à 38 °C, çà et là. '.repeat(4), 'latin1');
    expect(detectEncoding(latin, true)).toMatchObject({ encoding: 'windows-1252', method: 'chardet' });
    const cp = iconv.encode('Le patient dit “ça va” – très bien. Fièvre élevée. '.repeat(4), 'windows-1252');
    const choice = detectEncoding(cp, true);
    expect(choice.encoding).toBe('windows-1252');
    expect(decodeBuffer(cp, choice.encoding)).toContain('“ça va” – très');
  });

  it('does not call UTF-8 invalid because the sample cut a character in half', () => {
    const bytes = Buffer.from('aaaé');
    expect(detectEncoding(bytes.subarray(0, bytes.length - 1), false)).toMatchObject({ encoding: 'utf-8' });
  });

  it('normalises user-given names', () => {
    expect(normaliseEncoding('latin1')).toBe('iso-8859-1');
    expect(normaliseEncoding('UTF16LE')).toBe('utf-16le');
    expect(normaliseEncoding('cp1252')).toBe('windows-1252');
    expect(normaliseEncoding('klingon')).toBeNull();
  });
});

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const c of stream) out += String(c);
  return out;
}

describe('line handling', () => {
  it('turns CRLF and CR into LF, also when CR and LF arrive in different chunks', async () => {
    const src = Readable.from(['a\r', '\nb\rc\r\n', 'd\r']);
    expect(await collect(src.pipe(new LineEndingNormaliser()))).toBe('a\nb\nc\nd\n');
  });

  it('numbers lines and reports over-long ones without buffering them', async () => {
    const lines = [];
    for await (const l of splitLines(Readable.from(['one\ntw', 'o\n', 'x'.repeat(50), 'y'.repeat(50), '\nlast']), 20))
      lines.push(l);
    expect(lines).toEqual([
      { line: 1, text: 'one' },
      { line: 2, text: 'two' },
      { line: 3, tooLong: 100 },
      { line: 4, text: 'last' },
    ]);
  });
});
