/** Affine map from image pixel coordinates to canvas CSS pixels: [a, b, c, d, e, f] as in setTransform. */
export type ImageToCanvas = readonly [number, number, number, number, number, number];

/** How a label map is drawn. */
export interface LabelStyle {
  /** RGB per segment number. */
  readonly colors: ReadonlyMap<number, readonly [number, number, number]>;
  /** Segment numbers to draw. */
  readonly visible: ReadonlySet<number>;
  /** Fill opacity 0..1. */
  readonly opacity: number;
  /** Draw each region's boundary fully opaque. */
  readonly outline: boolean;
}

/**
 * Paints a label map (segment number per pixel) into RGBA: filled at `opacity`, boundary pixels
 * (a 4-neighbour with another label) opaque when outlining. Returns the pixels and how many
 * labelled pixels were drawn.
 */
export function paintLabels(
  labels: ArrayLike<number>,
  rows: number,
  columns: number,
  style: LabelStyle,
): { rgba: Uint8ClampedArray; drawn: number } {
  const rgba = new Uint8ClampedArray(rows * columns * 4);
  const fill = Math.round(Math.max(0, Math.min(1, style.opacity)) * 255);
  let drawn = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const i = y * columns + x;
      const label = labels[i]!;
      if (label === 0 || !style.visible.has(label)) continue;
      const color = style.colors.get(label);
      if (!color) continue;
      drawn++;
      const edge =
        style.outline &&
        (x === 0 ||
          y === 0 ||
          x === columns - 1 ||
          y === rows - 1 ||
          labels[i - 1] !== label ||
          labels[i + 1] !== label ||
          labels[i - columns] !== label ||
          labels[i + columns] !== label);
      const o = i * 4;
      rgba[o] = color[0];
      rgba[o + 1] = color[1];
      rgba[o + 2] = color[2];
      rgba[o + 3] = edge ? 255 : fill;
    }
  }
  return { rgba, drawn };
}

/**
 * A canvas laid over the viewport that draws one image-sized RGBA layer registered to the image:
 * redrawn with the viewport's current image-to-canvas transform after every render, so it follows
 * zoom, pan and scroll.
 */
export class OverlayLayer {
  readonly canvas: HTMLCanvasElement;
  readonly #source = document.createElement('canvas');
  #hasImage = false;

  /** `testId` names the canvas for tests (the SEG layer is `overlay-layer`). */
  constructor(container: HTMLElement, testId = 'overlay-layer') {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'overlay-layer';
    this.canvas.dataset.testid = testId;
    container.appendChild(this.canvas);
  }

  /** Sets the layer's pixels (or clears it with null). */
  setImage(rgba: Uint8ClampedArray | null, rows: number, columns: number, drawn = 0): void {
    this.canvas.dataset.drawn = String(rgba === null ? 0 : drawn);
    this.#hasImage = rgba !== null;
    if (rgba === null) return;
    this.#source.width = columns;
    this.#source.height = rows;
    this.#source
      .getContext('2d')!
      .putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, columns, rows), 0, 0);
  }

  /** Redraws with the current transform (null: the image is not on screen). */
  draw(transform: ImageToCanvas | null): void {
    const dpr = window.devicePixelRatio || 1;
    const { clientWidth, clientHeight } = this.canvas;
    if (this.canvas.width !== Math.round(clientWidth * dpr)) this.canvas.width = Math.round(clientWidth * dpr);
    if (this.canvas.height !== Math.round(clientHeight * dpr)) this.canvas.height = Math.round(clientHeight * dpr);
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    // Exposed for tests and diagnostics: where image pixel (0, 0) lands and the axes' scale.
    this.canvas.dataset.transform = transform === null ? '' : JSON.stringify(transform);
    if (!this.#hasImage || transform === null) return;
    const [a, b, c, d, e, f] = transform;
    ctx.setTransform(a * dpr, b * dpr, c * dpr, d * dpr, e * dpr, f * dpr);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.#source, 0, 0);
  }

  /** Removes the canvas. */
  destroy(): void {
    this.canvas.remove();
  }
}
