/*
 * Node-API binding over OpenJPEG (libopenjp2): decodes one JPEG 2000 codestream (J2K, or JP2-wrapped)
 * from memory into interleaved little-endian samples, 1 byte each up to 8 bits of precision, else 2.
 *
 * decode(encoded: Uint8Array, columns: number, rows: number, components: number)
 *   -> { bytes: Uint8Array, bitsPerSample, isSigned }
 *
 * The expected size (from the DICOM header) is checked against the codestream's header before anything
 * is decoded or allocated for the image. Every failure throws a JS Error whose message starts with
 * "openjp2:" and carries OpenJPEG's first error message; OpenJPEG never prints (its error, warning and
 * info callbacks are installed on every codec). All OpenJPEG objects are freed on every path.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <openjpeg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Largest image the binding decodes: 65535 x 65535 x 4 samples would need 32 GB; a DICOM frame this size
 * cannot exist, so anything past 1 GiB of output is refused before decoding. */
#define MAX_OUTPUT_BYTES ((uint64_t)1 << 30)
#define MAX_COMPONENTS 4u
#define MESSAGE_BYTES 240

typedef struct {
  const uint8_t *data;
  size_t length;
  size_t pos;
} MemoryStream;

typedef struct {
  char first[MESSAGE_BYTES];
} Messages;

static OPJ_SIZE_T stream_read(void *buffer, OPJ_SIZE_T n, void *user) {
  MemoryStream *s = (MemoryStream *)user;
  if (s->pos >= s->length) return (OPJ_SIZE_T)-1;
  size_t left = s->length - s->pos;
  size_t take = n < left ? n : left;
  memcpy(buffer, s->data + s->pos, take);
  s->pos += take;
  return take;
}

static OPJ_OFF_T stream_skip(OPJ_OFF_T n, void *user) {
  MemoryStream *s = (MemoryStream *)user;
  if (n < 0) {
    if ((uint64_t)(-n) > s->pos) return -1;
    s->pos -= (size_t)(-n);
    return n;
  }
  size_t left = s->length - s->pos;
  /* OpenJPEG skips past the end to probe; clamp, report the bytes actually skipped. */
  size_t take = (uint64_t)n < left ? (size_t)n : left;
  s->pos += take;
  return (OPJ_OFF_T)take;
}

static OPJ_BOOL stream_seek(OPJ_OFF_T to, void *user) {
  MemoryStream *s = (MemoryStream *)user;
  if (to < 0 || (uint64_t)to > s->length) return OPJ_FALSE;
  s->pos = (size_t)to;
  return OPJ_TRUE;
}

static void on_error(const char *msg, void *user) {
  Messages *m = (Messages *)user;
  if (m->first[0] != '\0' || msg == NULL) return;
  snprintf(m->first, sizeof m->first, "%s", msg);
  /* OpenJPEG's messages end in a newline; the JS error should not. */
  size_t n = strlen(m->first);
  while (n > 0 && (m->first[n - 1] == '\n' || m->first[n - 1] == '\r')) m->first[--n] = '\0';
}

static void on_quiet(const char *msg, void *user) {
  (void)msg;
  (void)user;
}

static napi_value throw_error(napi_env env, const char *what, const Messages *m) {
  char text[MESSAGE_BYTES + 96];
  if (m != NULL && m->first[0] != '\0')
    snprintf(text, sizeof text, "openjp2: %s (%s)", what, m->first);
  else
    snprintf(text, sizeof text, "openjp2: %s", what);
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

static int set_u32(napi_env env, napi_value obj, const char *key, uint32_t value) {
  napi_value v;
  return napi_create_uint32(env, value, &v) == napi_ok && napi_set_named_property(env, obj, key, v) == napi_ok;
}

/* The JP2 signature box (RFC 3745) or its bare magic; anything else is taken as a raw codestream. */
static int is_jp2(const uint8_t *p, size_t n) {
  static const uint8_t box[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a};
  static const uint8_t magic[4] = {0x0d, 0x0a, 0x87, 0x0a};
  return (n >= sizeof box && memcmp(p, box, sizeof box) == 0) || (n >= sizeof magic && memcmp(p, magic, sizeof magic) == 0);
}

static void write_samples(const opj_image_t *image, uint32_t pixels, uint32_t bytes_per_sample, int is_signed, uint8_t *out) {
  const uint32_t nc = image->numcomps;
  for (uint32_t c = 0; c < nc; c++) {
    const OPJ_INT32 *src = image->comps[c].data;
    if (bytes_per_sample == 1) {
      uint8_t *dst = out + c;
      for (uint32_t i = 0; i < pixels; i++, dst += nc) *dst = (uint8_t)src[i];
    } else {
      uint8_t *dst = out + 2 * c;
      const size_t stride = 2 * (size_t)nc;
      for (uint32_t i = 0; i < pixels; i++, dst += stride) {
        /* Truncation to 16 bits, as the wasm decoder's static_cast does; OpenJPEG has already clamped
         * each sample to its component's precision, so nothing is lost. */
        uint16_t v = is_signed ? (uint16_t)(int16_t)src[i] : (uint16_t)src[i];
        dst[0] = (uint8_t)(v & 0xff);
        dst[1] = (uint8_t)(v >> 8);
      }
    }
  }
}

static napi_value decode(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4)
    return throw_error(env, "decode(encoded, columns, rows, components) needs four arguments", NULL);

  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  if (!is_typed) return throw_error(env, "encoded must be a Uint8Array", NULL);
  napi_typedarray_type ta_type;
  size_t length = 0;
  void *raw = NULL;
  if (napi_get_typedarray_info(env, argv[0], &ta_type, &length, &raw, NULL, NULL) != napi_ok || ta_type != napi_uint8_array)
    return throw_error(env, "encoded must be a Uint8Array", NULL);
  if (length < 2 || raw == NULL) return throw_error(env, "the codestream is empty", NULL);

  uint32_t want_w, want_h, want_c;
  if (!get_u32(env, argv[1], &want_w) || !get_u32(env, argv[2], &want_h) || !get_u32(env, argv[3], &want_c) || want_c > MAX_COMPONENTS)
    return throw_error(env, "columns, rows and components must be integers in 1..65535 (components at most 4)", NULL);
  if ((uint64_t)want_w * want_h * want_c * 2 > MAX_OUTPUT_BYTES) return throw_error(env, "the frame is too large", NULL);

  /* The input is read while no JS runs, so its backing store cannot move or be detached meanwhile. */
  MemoryStream ms = {(const uint8_t *)raw, length, 0};
  Messages messages;
  messages.first[0] = '\0';
  const char *failure = NULL;
  opj_codec_t *codec = NULL;
  opj_stream_t *stream = NULL;
  opj_image_t *image = NULL;
  napi_value result = NULL;

  codec = opj_create_decompress(is_jp2(ms.data, ms.length) ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  if (codec == NULL) {
    failure = "cannot create a decoder";
    goto done;
  }
  opj_set_error_handler(codec, on_error, &messages);
  opj_set_warning_handler(codec, on_quiet, NULL);
  opj_set_info_handler(codec, on_quiet, NULL);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec, &params)) {
    failure = "cannot set up the decoder";
    goto done;
  }
  /* One thread: frames already decode two at a time in codec workers; OPJ_NUM_THREADS must not change that. */
  opj_codec_set_threads(codec, 0);

  stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
  if (stream == NULL) {
    failure = "cannot create a stream";
    goto done;
  }
  opj_stream_set_user_data(stream, &ms, NULL);
  opj_stream_set_user_data_length(stream, (OPJ_UINT64)ms.length);
  opj_stream_set_read_function(stream, stream_read);
  opj_stream_set_skip_function(stream, stream_skip);
  opj_stream_set_seek_function(stream, stream_seek);

  if (!opj_read_header(stream, codec, &image) || image == NULL) {
    failure = "cannot read the codestream header";
    goto done;
  }
  if (image->x1 <= image->x0 || image->y1 <= image->y0 || image->numcomps == 0 || image->comps == NULL) {
    failure = "the codestream header has no image";
    goto done;
  }
  const uint32_t width = image->x1 - image->x0;
  const uint32_t height = image->y1 - image->y0;
  if (width != want_w || height != want_h || image->numcomps != want_c) {
    char what[160];
    snprintf(what, sizeof what, "the codestream is %ux%ux%u, the header says %ux%ux%u", width, height, image->numcomps,
             want_w, want_h, want_c);
    throw_error(env, what, NULL);
    goto done;
  }
  for (uint32_t c = 0; c < image->numcomps; c++) {
    const opj_image_comp_t *comp = &image->comps[c];
    if (comp->dx != 1 || comp->dy != 1) {
      failure = "subsampled components are not supported";
      goto done;
    }
    if (comp->prec < 1 || comp->prec > 16) {
      failure = "component precision must be 1 to 16 bits";
      goto done;
    }
  }

  if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) {
    failure = "cannot decode the codestream";
    goto done;
  }
  /* A JP2 palette (pclr) expands components during decoding: check their number again, so the output
   * allocated below is the size the header promised. */
  if (image->numcomps != want_c || image->comps == NULL) {
    failure = "the decoded image has a different number of components than the header";
    goto done;
  }
  for (uint32_t c = 0; c < image->numcomps; c++) {
    const opj_image_comp_t *comp = &image->comps[c];
    if (comp->data == NULL || comp->w != width || comp->h != height || comp->prec < 1 || comp->prec > 16) {
      failure = "a decoded component has the wrong size";
      goto done;
    }
  }

  /* Like the wasm decoder: the first component's precision and signedness describe the frame. */
  const uint32_t prec = image->comps[0].prec;
  const int is_signed = image->comps[0].sgnd != 0;
  const uint32_t bytes_per_sample = prec <= 8 ? 1 : 2;
  const uint32_t pixels = width * height;
  const size_t out_length = (size_t)pixels * image->numcomps * bytes_per_sample;

  void *out_data = NULL;
  napi_value out_buffer, out_array, obj, flag;
  if (napi_create_arraybuffer(env, out_length, &out_data, &out_buffer) != napi_ok || out_data == NULL) {
    failure = "cannot allocate the output";
    goto done;
  }
  write_samples(image, pixels, bytes_per_sample, is_signed, (uint8_t *)out_data);
  if (napi_create_typedarray(env, napi_uint8_array, out_length, out_buffer, 0, &out_array) != napi_ok ||
      napi_create_object(env, &obj) != napi_ok || napi_set_named_property(env, obj, "bytes", out_array) != napi_ok ||
      !set_u32(env, obj, "bitsPerSample", prec) ||
      napi_get_boolean(env, is_signed, &flag) != napi_ok || napi_set_named_property(env, obj, "isSigned", flag) != napi_ok) {
    failure = "cannot build the result";
    goto done;
  }
  result = obj;

done:
  if (image != NULL) opj_image_destroy(image);
  if (stream != NULL) opj_stream_destroy(stream);
  if (codec != NULL) opj_destroy_codec(codec);
  if (failure != NULL) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) throw_error(env, failure, &messages);
    return NULL;
  }
  return result;
}

static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_string_utf8(env, opj_version(), NAPI_AUTO_LENGTH, &v);
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
