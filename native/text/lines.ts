import { Transform, type TransformCallback } from 'node:stream';

/**
 * A text stream transform turning CRLF and lone CR into LF. The CSV parser then counts lines
 * the way an editor does (its own count drifts on CRLF inside quoted fields), and note text is
 * stored with one line-ending convention. A CR at the end of a chunk is held back until the next
 * chunk shows whether an LF follows.
 */
export class LineEndingNormaliser extends Transform {
  #pendingCr = false;

  constructor() {
    super({ decodeStrings: false, encoding: 'utf8' });
  }

  override _transform(chunk: string | Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.#pendingCr) {
      text = `\r${text}`;
      this.#pendingCr = false;
    }
    if (text.endsWith('\r')) {
      this.#pendingCr = true;
      text = text.slice(0, -1);
    }
    done(null, text.replace(/\r\n?/g, '\n'));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.#pendingCr ? '\n' : '');
  }
}

/** One line of a line-oriented file (JSONL). */
export type LineItem =
  { readonly line: number; readonly text: string } | { readonly line: number; readonly tooLong: number };

/**
 * Splits a stream of decoded text into LF-terminated lines, numbering them from 1. A line longer
 * than `maxChars` is not buffered: it is reported as `tooLong` (with its length) once it ends.
 */
export async function* splitLines(source: AsyncIterable<string | Buffer>, maxChars: number): AsyncGenerator<LineItem> {
  let buffer = '';
  let overflow = 0;
  let line = 1;
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      if (overflow > 0 || buffer.length + piece.length > maxChars) {
        yield { line, tooLong: overflow + buffer.length + piece.length };
      } else {
        yield { line, text: buffer + piece };
      }
      buffer = '';
      overflow = 0;
      line++;
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (overflow > 0 || buffer.length + rest.length > maxChars) {
      overflow += buffer.length + rest.length;
      buffer = '';
    } else buffer += rest;
  }
  if (overflow > 0) yield { line, tooLong: overflow };
  else if (buffer.length > 0) yield { line, text: buffer };
}
