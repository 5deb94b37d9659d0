import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodePng, toGrayscale } from './png.js';

/** One labelled image of an ImageFolder tree (`root/<class>/<file>.png`). */
export interface ImageFolderItem {
  readonly path: string;
  readonly classIndex: number;
}

/** Classes (sub-folder names, sorted) and items of an ImageFolder tree. */
export interface ImageFolder {
  readonly classes: readonly string[];
  readonly items: readonly ImageFolderItem[];
}

/**
 * Lists `root/<class>/*.png`. Classes are the sorted sub-folder names, so another folder in the
 * same layout (a validation split) gets the same indices; pass `classes` to enforce a model's.
 */
export function listImageFolder(root: string, classes?: readonly string[]): ImageFolder {
  const found = readdirSync(root)
    .filter((d) => !d.startsWith('.') && statSync(join(root, d)).isDirectory())
    .sort();
  const names = classes ?? found;
  const items: ImageFolderItem[] = [];
  names.forEach((name, classIndex) => {
    if (!found.includes(name)) return;
    for (const f of readdirSync(join(root, name)).sort())
      if (/\.png$/i.test(f)) items.push({ path: join(root, name, f), classIndex });
  });
  return { classes: names, items };
}

/**
 * Where the model input came from in the source image: the source size and the source-pixel
 * rectangle that was resized onto the model grid (the whole image unless cropped).
 */
export interface ImageGeometry {
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly crop: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

/**
 * Bilinear resampling with pixel centres aligned (the half-pixel convention of
 * tf.image.resizeBilinear(..., halfPixelCenters = true)), edges clamped.
 */
export function resizeBilinear(
  src: Float32Array,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  crop = { x: 0, y: 0, width: sw, height: sh },
): Float32Array {
  const out = new Float32Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(sh - 1, Math.max(0, crop.y + ((y + 0.5) * crop.height) / dh - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < dw; x++) {
      const fx = Math.min(sw - 1, Math.max(0, crop.x + ((x + 0.5) * crop.width) / dw - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx;
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx;
      out[y * dw + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** Loads PNGs as grayscale [0, 1], resized to `height` x `width`: row-major [n, height, width, 1]. */
export function loadImages(
  paths: readonly string[],
  height: number,
  width: number,
): { values: Float32Array; geometry: ImageGeometry[] } {
  const values = new Float32Array(paths.length * height * width);
  const geometry: ImageGeometry[] = [];
  paths.forEach((path, i) => {
    const image = decodePng(readFileSync(path));
    const gray = toGrayscale(image);
    const crop = { x: 0, y: 0, width: image.width, height: image.height };
    values.set(
      image.width === width && image.height === height
        ? gray
        : resizeBilinear(gray, image.width, image.height, width, height, crop),
      i * height * width,
    );
    geometry.push({ sourceWidth: image.width, sourceHeight: image.height, crop });
  });
  return { values, geometry };
}

/**
 * Maps a heat map on a `w` x `h` grid that covered the geometry's crop (a Grad-CAM, at feature or
 * input resolution) onto the source pixel grid, by bilinear sampling at source pixel centres;
 * source pixels outside the crop get 0. The result overlays the original image pixel for pixel.
 */
export function heatmapToSource(map: Float32Array, w: number, h: number, geometry: ImageGeometry): Float32Array {
  const { sourceWidth: sw, sourceHeight: sh, crop } = geometry;
  const out = new Float32Array(sw * sh);
  for (let y = 0; y < sh; y++) {
    const v = (y + 0.5 - crop.y) / crop.height;
    if (v < 0 || v > 1) continue;
    const fy = Math.min(h - 1, Math.max(0, v * h - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < sw; x++) {
      const u = (x + 0.5 - crop.x) / crop.width;
      if (u < 0 || u > 1) continue;
      const fx = Math.min(w - 1, Math.max(0, u * w - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const wx = fx - x0;
      out[y * sw + x] =
        (map[y0 * w + x0]! * (1 - wx) + map[y0 * w + x1]! * wx) * (1 - wy) +
        (map[y1 * w + x0]! * (1 - wx) + map[y1 * w + x1]! * wx) * wy;
    }
  }
  return out;
}
