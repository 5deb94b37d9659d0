/**
 * Worker-thread entry of the guarded codecs (pool.ts): decodes one frame per message with the same
 * in-process decoder and posts the samples back (their buffer transferred, not copied). Never
 * imported by other modules: loading it attaches to the thread's parent port.
 */
import { parentPort } from 'node:worker_threads';
import { DicomParseError } from '../errors.js';
import { GUARDED_DECODERS, type CodecReply, type CodecRequest } from './guarded.js';

const port = parentPort;
if (port !== null) {
  port.on('message', (request: CodecRequest) => {
    GUARDED_DECODERS[request.codec](request.encoded, request.pm).then(
      (output) => {
        // Transfer the samples' buffer when they own all of it; otherwise (a view into a larger or wasm
        // buffer, which a structured clone would copy whole) transfer a copy of just the samples.
        const buffer = output.bytes.buffer;
        const own = buffer instanceof ArrayBuffer && buffer.byteLength === output.bytes.byteLength;
        const bytes = own ? output.bytes : new Uint8Array(output.bytes);
        const reply: CodecReply = { id: request.id, ok: true, output: { ...output, bytes } };
        port.postMessage(reply, [bytes.buffer as ArrayBuffer]);
      },
      (error: unknown) => {
        const reply: CodecReply =
          error instanceof DicomParseError
            ? { id: request.id, ok: false, reason: error.reason, message: error.message }
            : {
                id: request.id,
                ok: false,
                reason: 'decode-failed',
                message: error instanceof Error ? error.message : String(error),
              };
        port.postMessage(reply);
      },
    );
  });
}
