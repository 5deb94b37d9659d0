"""Specific Character Set references from pydicom (run with Debian's /usr/bin/python3).

Prints one JSON object: {"files": {name: {path: text}}, "values": [{"charsets", "vr", "hex", "text"}]}.
Person names are pydicom's str(), which drops empty trailing component groups (a final "=").
"files" holds every text element (PN, LO, SH, ST, LT, UT, UC) of pydicom's charset test files as pydicom
decodes them, keyed by tag path ("00100010", or "00081111/0/00100010" inside sequences).
"values" are byte strings (the PS3.5 examples and a few more) with pydicom's decoding of them.
"""
import json
import os
import sys
import warnings

import pydicom
from pydicom.charset import convert_encodings, decode_bytes

warnings.simplefilter("ignore")
TEXT_VRS = {"PN", "LO", "SH", "ST", "LT", "UT", "UC"}


def texts(ds, prefix=""):
    out = {}
    for elem in ds:
        path = prefix + "%08X" % elem.tag
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                out.update(texts(item, "%s/%d/" % (path, i)))
        elif elem.VR in TEXT_VRS and elem.value not in (None, ""):
            values = elem.value if elem.VM > 1 else [elem.value]
            # Multiple values joined with the DICOM delimiter, as stored.
            out[path] = "\\".join(str(v) for v in values)
    return out


VALUES = [
    # PS3.5 K.2: Chinese with ISO 2022 IR 58 (GB 2312 in G1). pydicom 2.3 leaves the escape sequences in the
    # text (it decodes IR 58 with a plain GB 2312 codec), so the standard's own rendering is the reference.
    (["", "ISO 2022 IR 58"], "PN", b"Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab=",
     "Zhang^XiaoDong=\u5f20^\u5c0f\u4e1c="),
    (["ISO 2022 IR 6", "ISO 2022 IR 58"], "PN", b"Wang^XiaoDong=\x1b$)A\xcd\xf5^\x1b$)A\xd0\xa1\xb6\xab=",
     "Wang^XiaoDong=\u738b^\u5c0f\u4e1c="),
    # PS3.5 K.1: GB18030 without code extensions.
    (["GB18030"], "PN", b"Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab="),
    (["GBK"], "PN", b"\xcd\xf5^\xd0\xa1\xb6\xab"),
    # PS3.5 H.3.2: half-width katakana (IR 13 in G1) and kanji/hiragana (IR 87).
    (["ISO 2022 IR 13", "ISO 2022 IR 87"], "PN",
     b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J"),
    # JIS X 0212 (IR 159) characters after JIS X 0208 ones.
    (["", "ISO 2022 IR 87", "ISO 2022 IR 159"], "PN", b"Yamada^\x1b$BK2\x1b(B=\x1b$(D0!0\"\x1b(B"),
    (["ISO_IR 13"], "LO", b"\xd4\xcf\xc0\xde \xc0\xdb\xb3"),
    # PS3.5 I.2: Korean, multi-valued text.
    (["", "ISO 2022 IR 149"], "LO", b"\x1b$)C\xc8\xab\xb1\xe6\xb5\xbf\\Hong\\\x1b$)C\xb1\xe6\xb5\xbf"),
    (["ISO_IR 192"], "PN", "Gr\u00f6\u00dfe^\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac=\u4e2d\u6587^\u65e5\u672c\u8a9e".encode()),
    (["ISO 2022 IR 100", "ISO 2022 IR 126"], "LO", b"M\xfcller \x1b-F\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2"),
    (["ISO_IR 101"], "LO", b"\xa3\xf3d\xbc"),
    (["ISO_IR 148"], "LO", b"\xdeahin \xfdz"),
]


def main():
    files_dir = os.path.join(os.path.dirname(pydicom.__file__), "data", "charset_files")
    files = {}
    for name in sorted(os.listdir(files_dir)):
        if name.endswith(".dcm"):
            ds = pydicom.dcmread(os.path.join(files_dir, name))
            ds.decode()
            files[name] = texts(ds)
    values = []
    for charsets, vr, raw, *standard in VALUES:
        delimiters = {0x5E, 0x3D} if vr == "PN" else set()
        delimiters |= {0x5C}
        text = decode_bytes(raw, convert_encodings(charsets), delimiters)
        rec = {"charsets": charsets, "vr": vr, "hex": raw.hex(), "text": text}
        if standard:
            rec["standard"] = standard[0]
        values.append(rec)
    json.dump({"dir": files_dir, "files": files, "values": values}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
