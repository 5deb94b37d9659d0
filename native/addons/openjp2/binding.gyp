{
  "targets": [
    {
      "target_name": "osler_openjp2",
      "sources": ["src/openjp2.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=c11", "<!@(node locate.mjs cflags)"],
      "xcode_settings": { "OTHER_CFLAGS": ["<!@(node locate.mjs cflags)"] },
      "libraries": ["<!@(node locate.mjs libs)"]
    }
  ]
}
