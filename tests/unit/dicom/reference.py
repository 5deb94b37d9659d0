"""Reference decodes for the DICOM conformance test (run with Debian's /usr/bin/python3).

Usage: reference.py OUT_DIR MAX_FRAMES FILE...
For each FILE (index i) writes OUT_DIR/i.raw (stored values of up to MAX_FRAMES frames, little endian,
masked to Bits Stored and sign-extended, the same definition the engine uses) and prints one JSON line:
{"index", "ok", "error", "dtype", "shape", "frames", "photometric", "handler"}.
"""
import json
import os
import sys
import warnings

import numpy as np
import pydicom
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, pillow_handler, rle_handler

warnings.simplefilter("ignore")
# GDCM first for compressed data (the reference is pydicom + GDCM); numpy and RLE for the rest.
# OSLER_REFERENCE_HANDLERS=gdcm drops the Pillow fallback (the DICOM bench checks the decoder it times).
pydicom.config.pixel_data_handlers = [numpy_handler, rle_handler, gdcm_handler] + (
    [] if os.environ.get("OSLER_REFERENCE_HANDLERS") == "gdcm" else [pillow_handler]
)


def stored(ds, arr):
    arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype.kind not in "iu":
        return arr
    bits = arr.dtype.itemsize * 8
    stored_bits = int(getattr(ds, "BitsStored", bits) or bits)
    high = int(getattr(ds, "HighBit", stored_bits - 1) or stored_bits - 1)
    if stored_bits >= bits and high == bits - 1:
        return arr
    u = arr.view(np.dtype("u%d" % arr.dtype.itemsize)).astype(np.int64)
    shift = high + 1 - stored_bits
    v = (u >> shift) & ((1 << stored_bits) - 1)
    if int(getattr(ds, "PixelRepresentation", 0)) == 1:
        v = np.where(v & (1 << (stored_bits - 1)), v - (1 << stored_bits), v)
    return v.astype(arr.dtype)


def main():
    out_dir, max_frames, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for i, path in enumerate(files):
        rec = {"index": i, "ok": False}
        try:
            ds = pydicom.dcmread(path, force=True)
            if "PixelData" not in ds and "FloatPixelData" not in ds:
                rec["error"] = "no pixel data"
            else:
                arr = ds.pixel_array
                frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
                spp = int(getattr(ds, "SamplesPerPixel", 1) or 1)
                if frames == 1:
                    arr = arr[np.newaxis, ...]
                arr = stored(ds, arr[:max_frames])
                if spp == 1:
                    arr = arr.reshape(arr.shape[0], -1)
                arr.astype(arr.dtype.newbyteorder("<")).tofile("%s/%d.raw" % (out_dir, i))
                rec.update(ok=True, dtype=arr.dtype.str.lstrip("<>|="), shape=list(arr.shape), frames=frames,
                           photometric=str(ds.get("PhotometricInterpretation", "")))
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            rec["error"] = "%s: %s" % (type(e).__name__, str(e)[:200])
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
