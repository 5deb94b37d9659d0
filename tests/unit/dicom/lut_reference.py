"""Generated VOI LUT and PALETTE COLOR files with pydicom's own results (run with Debian's /usr/bin/python3).

Usage: lut_reference.py OUT_DIR
Writes OUT_DIR/<case>.dcm and OUT_DIR/<case>.raw, and prints one JSON line per case:
{"case", "kind": "voi"|"palette", "dtype", "shape"}. For "voi" the raw file holds
apply_voi_lut(apply_modality_lut(pixel_array)) (prefer_lut, item 0); for "palette" apply_color_lut(pixel_array),
RGB interleaved, both little endian in pydicom's dtype.
"""
import json
import os
import sys
import warnings

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixel_data_handlers.util import apply_color_lut, apply_modality_lut, apply_voi_lut
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

warnings.simplefilter("ignore")
ROWS, COLS = 48, 64
rng = np.random.RandomState(20240917)


def base(photometric, bits_allocated, bits_stored, signed, ts=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ts
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = ts != ExplicitVRBigEndian
    ds.is_implicit_VR = ts == ImplicitVRLittleEndian
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows = ROWS
    ds.Columns = COLS
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    return ds


def pixels(ds, lo, hi):
    """A ramp from lo to hi across the image plus noise, clipped to [lo, hi], stored in the file's dtype."""
    ramp = np.linspace(lo, hi, ROWS * COLS)
    noise = rng.normal(0, (hi - lo) * 0.05, ROWS * COLS)
    v = np.clip(np.round(ramp + noise), lo, hi)
    kind = "i" if ds.PixelRepresentation else "u"
    dtype = np.dtype("%s%s%d" % (">" if not ds.is_little_endian else "<", kind, ds.BitsAllocated // 8))
    ds.PixelData = v.astype(dtype).tobytes()


def words(values, ds):
    return np.asarray(values, dtype=(">u2" if not ds.is_little_endian else "<u2")).tobytes()


def voi_item(ds, entries, first, bits, data, descriptor_vr="US", data_vr="US", explanation=None):
    item = Dataset()
    item.add_new(0x00283002, descriptor_vr, [entries if entries < 65536 else 0, first, bits])
    if data_vr == "OW":
        item.add_new(0x00283006, "OW", words(data, ds))
    else:
        item.add_new(0x00283006, "US", [int(x) for x in data])
    if explanation:
        item.LUTExplanation = explanation
    return item


def voi_cases():
    # Signed CT-like data, SS descriptor with a negative first value, 16-bit entries, with window presets too
    # (the LUT is preferred, as pydicom's prefer_lut).
    ds = base("MONOCHROME2", 16, 16, True)
    ds.RescaleSlope, ds.RescaleIntercept = 1, 0
    ds.WindowCenter, ds.WindowWidth = 40, 400
    pixels(ds, -1500, 3500)
    curve = np.round(65535 * (np.arange(4096) / 4095.0) ** 0.5)
    ds.VOILUTSequence = Sequence(
        [voi_item(ds, 4096, -1024, 16, curve, descriptor_vr="SS", explanation="SQRT"),
         voi_item(ds, 4096, -1024, 16, curve[::-1], descriptor_vr="SS", explanation="INVERSE")]
    )
    yield "voi-signed-ss-16bit", ds

    # Unsigned 8-bit data through an 8-bit LUT of 200 entries (one entry per 16-bit word, as pydicom reads them).
    # Inputs stay below first + 256: pydicom 2.3 indexes 8-bit LUTs with a uint8 array, which wraps past that.
    ds = base("MONOCHROME2", 8, 8, False)
    pixels(ds, 0, 255)
    sig = np.round(255 / (1 + np.exp(-(np.arange(200) - 100) / 20.0)))
    ds.VOILUTSequence = Sequence([voi_item(ds, 200, 40, 8, sig)])
    yield "voi-8bit-entries", ds

    # Implicit VR, rescaled 12-bit data, 65536-entry table (descriptor 0) as OW.
    ds = base("MONOCHROME1", 16, 12, False, ImplicitVRLittleEndian)
    ds.RescaleSlope, ds.RescaleIntercept = 2, -100
    pixels(ds, 0, 4095)
    ramp = np.round(np.linspace(0, 65535, 65536) ** 1.0)
    ds.VOILUTSequence = Sequence([voi_item(ds, 65536, 0, 16, ramp, data_vr="OW")])
    yield "voi-implicit-ow-65536", ds

    # Implicit VR, signed pixels: the descriptor's negative first value is read back as SS.
    ds = base("MONOCHROME2", 16, 16, True, ImplicitVRLittleEndian)
    pixels(ds, -900, 1500)
    tab = np.round(4095 * (np.arange(2000) / 1999.0) ** 2)
    ds.VOILUTSequence = Sequence([voi_item(ds, 2000, -500, 12, tab, descriptor_vr="SS", data_vr="OW")])
    yield "voi-implicit-signed-12bit", ds

    # Explicit VR big endian with OW LUT data.
    ds = base("MONOCHROME2", 16, 12, False, ExplicitVRBigEndian)
    pixels(ds, 0, 4095)
    tab = np.round(65535 * np.sin(np.linspace(0, np.pi / 2, 3000)))
    ds.VOILUTSequence = Sequence([voi_item(ds, 3000, 500, 16, tab, data_vr="OW")])
    yield "voi-big-endian", ds


def set_palette(ds, entries, first, bits, r, g, b, packed8=False):
    for tag_desc, tag_data, vals in ((0x00281101, 0x00281201, r), (0x00281102, 0x00281202, g),
                                     (0x00281103, 0x00281203, b)):
        ds.add_new(tag_desc, "US", [entries if entries < 65536 else 0, first, bits])
        raw = np.asarray(vals, dtype="u1").tobytes() if packed8 else words(vals, ds)
        ds.add_new(tag_data, "OW", raw)


def palette_cases():
    x = np.arange(256)
    # 8-bit image, 16-bit entries.
    ds = base("PALETTE COLOR", 8, 8, False)
    pixels(ds, 0, 255)
    set_palette(ds, 256, 0, 16, x * 257, (255 - x) * 257, np.round(65535 * np.abs(np.sin(x / 40.0))))
    yield "palette-16bit-entries", ds

    # 16-bit image (12 stored), 3000-entry 16-bit palette from 100: values clip at both ends.
    ds = base("PALETTE COLOR", 16, 12, False)
    pixels(ds, 0, 4095)
    y = np.arange(3000)
    set_palette(ds, 3000, 100, 16, np.round(y * 65535 / 2999), np.round(65535 * (y % 500) / 499),
                np.round(65535 - y * 65535 / 2999))
    yield "palette-16bit-image", ds

    # 8-bit entries packed one per byte.
    ds = base("PALETTE COLOR", 8, 8, False)
    pixels(ds, 0, 255)
    set_palette(ds, 256, 0, 8, x, 255 - x, (x * 7) % 256, packed8=True)
    yield "palette-8bit-packed", ds

    # 8-bit entries in 16-bit words (descriptor says 8).
    ds = base("PALETTE COLOR", 8, 8, False)
    pixels(ds, 0, 255)
    set_palette(ds, 256, 0, 8, x, (x * 3) % 256, 255 - x)
    yield "palette-8bit-in-words", ds

    # Segmented 8-bit palette: the SPRING well-known palette as pydicom ships it.
    spring = pydicom.dcmread(os.path.join(os.path.dirname(pydicom.__file__), "data", "palettes", "spring.dcm"))
    ds = base("PALETTE COLOR", 8, 8, False)
    pixels(ds, 0, 255)
    for tag in (0x00281101, 0x00281102, 0x00281103, 0x00281221, 0x00281222, 0x00281223):
        ds[tag] = spring[tag]
    yield "palette-segmented-spring", ds

    # Segmented 16-bit palette: discrete, linear (non-integer steps), indirect (replaying from 0) and linear.
    ds = base("PALETTE COLOR", 16, 16, False)
    pixels(ds, 0, 300)
    seg = [0, 4, 0, 1000, 2000, 3000, 1, 100, 65535, 2, 2, 0, 0, 1, 50, 7]
    total = 4 + 100 + 104 + 50
    for tag_desc, tag_data, shift in ((0x00281101, 0x00281221, 0), (0x00281102, 0x00281222, 1),
                                      (0x00281103, 0x00281223, 2)):
        ds.add_new(tag_desc, "US", [total, 10, 16])
        s = list(seg)
        s[8] = 65535 - 999 * shift
        ds.add_new(tag_data, "OW", words(s, ds))
    yield "palette-segmented-16bit", ds


def main():
    out = sys.argv[1]
    for kind, cases in (("voi", voi_cases()), ("palette", palette_cases())):
        for name, ds in cases:
            path = os.path.join(out, name + ".dcm")
            ds.save_as(path, write_like_original=False)
            rd = pydicom.dcmread(path)
            arr = rd.pixel_array
            if kind == "voi":
                ref = apply_voi_lut(apply_modality_lut(arr, rd), rd, index=0)
            else:
                ref = apply_color_lut(arr, rd)
            ref = np.ascontiguousarray(ref)
            ref.astype(ref.dtype.newbyteorder("<")).tofile(os.path.join(out, name + ".raw"))
            print(json.dumps({"case": name, "kind": kind, "dtype": ref.dtype.str.lstrip("<>|="),
                              "shape": list(ref.shape)}), flush=True)


if __name__ == "__main__":
    main()
