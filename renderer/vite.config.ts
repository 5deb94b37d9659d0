import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { META_CONTENT_SECURITY_POLICY } from '../native/app/security.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Writes the one CSP both shells use into index.html, so the page and the headers never drift. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'osler-csp',
    transformIndexHtml: (html) => html.replace('%OSLER_CSP%', META_CONTENT_SECURITY_POLICY),
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte(), contentSecurityPolicy()],
  resolve: {
    // vtk.js (under cornerstone3D) pulls xmlbuilder2, which extends Node's EventEmitter.
    alias: { events: 'events/' },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    // Inline assets would need data: script/style sources; keep every asset a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
