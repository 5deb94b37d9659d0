{
  "targets": [
    {
      "target_name": "osler_charls",
      "sources": ["src/charls.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=c11", "<!@(node ../locate.mjs charls cflags)"],
      "xcode_settings": { "OTHER_CFLAGS": ["<!@(node ../locate.mjs charls cflags)"] },
      "libraries": ["<!@(node ../locate.mjs charls libs)"]
    }
  ]
}
