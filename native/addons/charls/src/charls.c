/*
 * Node-API binding over CharLS (libcharls, its C API): decodes one JPEG-LS stream (lossless or
 * near-lossless) from memory into interleaved little-endian samples, 1 byte each up to 8 bits per
 * sample, else 2 -- the bytes the wasm CharLS path of jpegLs.ts produces (it interleaves planar colour
 * data, interleave mode "none", after decoding; CharLS itself returns line- and sample-interleaved
 * colour pixel by pixel).
 *
 * decode(encoded: Uint8Array, columns: number, rows: number, components: number)
 *   -> { bytes: Uint8Array, width, height, components, bitsPerSample, interleaveMode, nearLossless }
 *
 * The frame header's size is checked against the expected one (from the DICOM header) before anything
 * is decoded or allocated for the image, and the output is at most 1 GiB. Every failure throws a JS Error
 * whose message starts with "charls:" and carries CharLS's own message. CharLS never prints. The decoder
 * and any scratch buffer are freed on every path.
 */
#define NAPI_VERSION 8
#include <charls/charls.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A DICOM frame cannot need more; anything past 1 GiB of output is refused before decoding. */
#define MAX_OUTPUT_BYTES ((uint64_t)1 << 30)
#define MAX_COMPONENTS 4u
#define MESSAGE_BYTES 320

static napi_value throw_error(napi_env env, const char *what, charls_jpegls_errc code) {
  char text[MESSAGE_BYTES];
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    const char *detail = charls_get_error_message(code);
    snprintf(text, sizeof text, "charls: %s (%s)", what, detail != NULL ? detail : "unknown error");
  } else {
    snprintf(text, sizeof text, "charls: %s", what);
  }
  napi_throw_error(env, NULL, text);
  return NULL;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= 1 && d <= 65535) || d != (double)(uint32_t)d) return 0;
  *out = (uint32_t)d;
  return 1;
}

static int set_int(napi_env env, napi_value obj, const char *key, int32_t value) {
  napi_value v;
  return napi_create_int32(env, value, &v) == napi_ok && napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* Planar (RRR..GGG..BBB..) to interleaved (RGBRGB..), as check.ts's interleave() does. */
static void interleave(const uint8_t *planar, uint8_t *out, size_t pixels, uint32_t components, uint32_t bytes_per_sample) {
  const size_t plane = pixels * bytes_per_sample;
  const size_t stride = (size_t)components * bytes_per_sample;
  for (uint32_t c = 0; c < components; c++) {
    const uint8_t *src = planar + c * plane;
    uint8_t *dst = out + (size_t)c * bytes_per_sample;
    if (bytes_per_sample == 1) {
      for (size_t i = 0; i < pixels; i++, dst += stride) *dst = src[i];
    } else {
      for (size_t i = 0; i < pixels; i++, dst += stride, src += 2) {
        dst[0] = src[0];
        dst[1] = src[1];
      }
    }
  }
}

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4)
    return throw_error(env, "decode(encoded, columns, rows, components) needs four arguments", CHARLS_JPEGLS_ERRC_SUCCESS);

  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed) return throw_error(env, "encoded must be a Uint8Array", CHARLS_JPEGLS_ERRC_SUCCESS);
  napi_typedarray_type ta_type;
  size_t length = 0;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, argv[0], &ta_type, &length, &raw, NULL, NULL) != napi_ok || ta_type != napi_uint8_array)
    return throw_error(env, "encoded must be a Uint8Array", CHARLS_JPEGLS_ERRC_SUCCESS);
  if (length < 2 || raw == NULL) return throw_error(env, "the stream is empty", CHARLS_JPEGLS_ERRC_SUCCESS);

  uint32_t want_w, want_h, want_c;
  if (!get_u32(env, argv[1], &want_w) || !get_u32(env, argv[2], &want_h) || !get_u32(env, argv[3], &want_c) || want_c > MAX_COMPONENTS)
    return throw_error(env, "columns, rows and components must be integers in 1..65535 (components at most 4)",
                       CHARLS_JPEGLS_ERRC_SUCCESS);
  if ((uint64_t)want_w * want_h * want_c * 2 > MAX_OUTPUT_BYTES)
    return throw_error(env, "the frame is too large", CHARLS_JPEGLS_ERRC_SUCCESS);

  const char *failure = NULL;
  charls_jpegls_errc code = CHARLS_JPEGLS_ERRC_SUCCESS;
  uint8_t *scratch = NULL;
  napi_value result = NULL;

  /* The input is read while no JS runs, so its backing store cannot move or be detached meanwhile. */
  charls_jpegls_decoder *decoder = charls_jpegls_decoder_create();
  if (decoder == NULL) {
    failure = "cannot create a decoder";
    goto done;
  }
  code = charls_jpegls_decoder_set_source_buffer(decoder, raw, length);
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    failure = "cannot read the stream";
    goto done;
  }
  code = charls_jpegls_decoder_read_header(decoder);
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    failure = "cannot read the frame header";
    goto done;
  }
  charls_frame_info frame;
  code = charls_jpegls_decoder_get_frame_info(decoder, &frame);
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    failure = "cannot read the frame header";
    goto done;
  }
  if (frame.width != want_w || frame.height != want_h || (uint32_t)frame.component_count != want_c) {
    char what[160];
    snprintf(what, sizeof what, "the stream is %ux%ux%d, the header says %ux%ux%u", frame.width, frame.height,
             frame.component_count, want_w, want_h, want_c);
    throw_error(env, what, CHARLS_JPEGLS_ERRC_SUCCESS);
    goto done;
  }
  if (frame.bits_per_sample < 2 || frame.bits_per_sample > 16) {
    failure = "bits per sample must be 2 to 16";
    goto done;
  }
  enum charls_interleave_mode mode;
  code = charls_jpegls_decoder_get_interleave_mode(decoder, &mode);
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    failure = "cannot read the interleave mode";
    goto done;
  }
  int32_t near_lossless = 0;
  code = charls_jpegls_decoder_get_near_lossless(decoder, 0, &near_lossless);
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    failure = "cannot read the near-lossless parameter";
    goto done;
  }

  const uint32_t bytes_per_sample = frame.bits_per_sample <= 8 ? 1 : 2;
  const size_t pixels = (size_t)want_w * want_h;
  const size_t out_length = pixels * want_c * bytes_per_sample;
  size_t needed = 0;
  code = charls_jpegls_decoder_get_destination_size(decoder, 0, &needed);
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    failure = "cannot size the output";
    goto done;
  }
  if (needed != out_length) {
    char what[160];
    snprintf(what, sizeof what, "the decoder wants %zu bytes for a %zu-byte frame", needed, out_length);
    throw_error(env, what, CHARLS_JPEGLS_ERRC_SUCCESS);
    goto done;
  }

  void *out_data = NULL;
  napi_value out_buffer, out_array, obj;
  if (napi_create_arraybuffer(env, out_length, &out_data, &out_buffer) != napi_ok || out_data == NULL) {
    failure = "cannot allocate the output";
    goto done;
  }
  const int planar = want_c > 1 && mode == CHARLS_INTERLEAVE_MODE_NONE;
  if (planar) {
    scratch = (uint8_t *)malloc(out_length);
    if (scratch == NULL) {
      failure = "cannot allocate the output";
      goto done;
    }
  }
  code = charls_jpegls_decoder_decode_to_buffer(decoder, planar ? (void *)scratch : out_data, out_length, 0);
  if (code != CHARLS_JPEGLS_ERRC_SUCCESS) {
    failure = "cannot decode the stream";
    goto done;
  }
  if (planar) interleave(scratch, (uint8_t *)out_data, pixels, want_c, bytes_per_sample);
  if (napi_create_typedarray(env, napi_uint8_array, out_length, out_buffer, 0, &out_array) != napi_ok ||
      napi_create_object(env, &obj) != napi_ok || napi_set_named_property(env, obj, "bytes", out_array) != napi_ok ||
      !set_int(env, obj, "width", (int32_t)want_w) || !set_int(env, obj, "height", (int32_t)want_h) ||
      !set_int(env, obj, "components", (int32_t)want_c) || !set_int(env, obj, "bitsPerSample", frame.bits_per_sample) ||
      !set_int(env, obj, "interleaveMode", (int32_t)mode) || !set_int(env, obj, "nearLossless", near_lossless)) {
    failure = "cannot build the result";
    code = CHARLS_JPEGLS_ERRC_SUCCESS;
    goto done;
  }
  result = obj;

done:
  free(scratch);
  if (decoder != NULL) charls_jpegls_decoder_destroy(decoder);
  if (failure != NULL || result == NULL) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) throw_error(env, failure != NULL ? failure : "cannot decode the stream", code);
    return NULL;
  }
  return result;
}

static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_string_utf8(env, charls_get_version_string(), NAPI_AUTO_LENGTH, &v);
  return v;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"decode", NULL, decode, NULL, NULL, NULL, napi_enumerable, NULL},
      {"version", NULL, version, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
