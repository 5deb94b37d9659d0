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
        const reply: CodecReply = { id: request.id, ok: true, output };
        // Transfer the samples' buffer when they own all of it (never a view into wasm memory).
        const buffer = output.bytes.buffer;
        const own = buffer instanceof ArrayBuffer && buffer.byteLength === output.bytes.byteLength;
        port.postMessage(reply, own ? [buffer] : []);
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
