import {
  Enums,
  RenderingEngine,
  cache,
  eventTarget,
  utilities as coreUtilities,
  init as initCore,
  type StackViewport,
  type Types,
} from '@cornerstonejs/core';
import {
  AngleTool,
  EllipticalROITool,
  Enums as ToolEnums,
  LengthTool,
  PanTool,
  ProbeTool,
  RectangleROITool,
  StackScrollTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
  init as initTools,
  utilities as toolUtilities,
} from '@cornerstonejs/tools';

/** Decoded frames kept in the page, across series (least recently used go first). */
export const FRAME_CACHE_BYTES = 512 * 1024 * 1024;

import type { ImageToCanvas } from './overlayLayer.js';

const ENGINE_ID = 'osler-engine';
const VIEWPORT_ID = 'osler-stack';
const TOOL_GROUP_ID = 'osler-tools';

/** Left-button tools the toolbar can choose between. */
export const PRIMARY_TOOLS = {
  windowLevel: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
  length: LengthTool.toolName,
  ellipse: EllipticalROITool.toolName,
  rectangle: RectangleROITool.toolName,
  probe: ProbeTool.toolName,
  angle: AngleTool.toolName,
} as const;

/** A toolbar tool name. */
export type PrimaryTool = keyof typeof PRIMARY_TOOLS;

let ready: Promise<void> | null = null;

/** Initialises cornerstone3D and its tools once per page. */
export function initCornerstone(): Promise<void> {
  ready ??= (async () => {
    initCore();
    initTools();
    for (const tool of [
      WindowLevelTool,
      PanTool,
      ZoomTool,
      StackScrollTool,
      LengthTool,
      EllipticalROITool,
      RectangleROITool,
      ProbeTool,
      AngleTool,
    ])
      addTool(tool);
  })();
  return ready;
}

/** What the viewer reports after each render. */
export interface ViewState {
  readonly index: number;
  readonly count: number;
  readonly center: number;
  readonly width: number;
  readonly zoom: number;
  readonly invert: boolean;
  /** Millimetres one screen pixel spans at the current zoom (null without pixel spacing). */
  readonly mmPerScreenPixel: number | null;
}

/**
 * One cornerstone3D stack viewport bound to a DOM element, with the standard radiology mouse
 * mapping: left = chosen tool (window/level by default), middle = pan, right = zoom, wheel = scroll.
 */
export class StackViewer {
  readonly #engine: RenderingEngine;
  readonly #viewport: StackViewport;
  readonly #element: HTMLDivElement;
  readonly #onChange: (state: ViewState) => void;
  #primary: string = WindowLevelTool.toolName;

  constructor(element: HTMLDivElement, onChange: (state: ViewState) => void) {
    this.#element = element;
    this.#onChange = onChange;
    this.#engine = new RenderingEngine(ENGINE_ID);
    this.#engine.enableElement({ viewportId: VIEWPORT_ID, type: Enums.ViewportType.STACK, element });
    this.#viewport = this.#engine.getViewport(VIEWPORT_ID) as StackViewport;
    const group = ToolGroupManager.getToolGroup(TOOL_GROUP_ID) ?? ToolGroupManager.createToolGroup(TOOL_GROUP_ID)!;
    for (const name of [...Object.values(PRIMARY_TOOLS), StackScrollTool.toolName]) group.addTool(name);
    group.addViewport(VIEWPORT_ID, ENGINE_ID);
    group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
    group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Auxiliary }] });
    group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Secondary }] });
    group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Wheel }] });
    element.addEventListener(Enums.Events.IMAGE_RENDERED, this.#rendered);
    element.addEventListener(Enums.Events.STACK_NEW_IMAGE, this.#report);
    element.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  readonly #renderListeners = new Set<() => void>();

  /** Calls `listener` after every render (overlays redraw to stay registered). Returns the remover. */
  onRender(listener: () => void): () => void {
    this.#renderListeners.add(listener);
    return () => this.#renderListeners.delete(listener);
  }

  readonly #rendered = (): void => {
    this.#report();
    for (const listener of this.#renderListeners) listener();
  };

  readonly #report = (): void => {
    const props = this.#viewport.getProperties();
    const range = props.voiRange ?? { lower: 0, upper: 1 };
    this.#onChange({
      index: this.#viewport.getCurrentImageIdIndex(),
      count: this.#viewport.getImageIds().length,
      center: (range.lower + range.upper) / 2,
      width: range.upper - range.lower,
      zoom: this.#viewport.getZoom(),
      invert: props.invert ?? false,
      mmPerScreenPixel: this.#mmPerScreenPixel(),
    });
  };

  /** Millimetres per screen pixel along image rows, from the image's spacing and the camera. */
  #mmPerScreenPixel(): number | null {
    const imageId = this.#viewport.getCurrentImageId();
    const image = imageId ? cache.getImage(imageId) : undefined;
    const t = this.imageToCanvas();
    if (!image || !t || !image.columnPixelSpacing) return null;
    const screenPerImagePixel = Math.hypot(t[0], t[1]);
    return screenPerImagePixel > 0 ? image.columnPixelSpacing / screenPerImagePixel : null;
  }

  /** Shows a stack of image ids, starting at `index`, and prefetches around the current slice. */
  async setStack(imageIds: string[], index = 0): Promise<void> {
    await this.#viewport.setStack(imageIds, index);
    this.#viewport.render();
    toolUtilities.stackPrefetch.enable(this.#element);
  }

  /** Plays the stack as a loop at `fps` frames per second (cine). */
  play(fps: number): void {
    toolUtilities.cine.playClip(this.#element, { framesPerSecond: fps, loop: true });
  }

  /** Stops cine. */
  stop(): void {
    toolUtilities.cine.stopClip(this.#element);
  }

  /** Maps image pixel coordinates of the image on screen to canvas CSS pixels, or null. */
  imageToCanvas(): ImageToCanvas | null {
    const imageId = this.#viewport.getCurrentImageId();
    const image = imageId ? cache.getImage(imageId) : undefined;
    if (!imageId || !image) return null;
    const at = (x: number, y: number) =>
      this.#viewport.worldToCanvas(coreUtilities.imageToWorldCoords(imageId, [x, y]) as Types.Point3);
    const o = at(0, 0);
    const x = at(image.columns, 0);
    const y = at(0, image.rows);
    return [
      (x[0] - o[0]) / image.columns,
      (x[1] - o[1]) / image.columns,
      (y[0] - o[0]) / image.rows,
      (y[1] - o[1]) / image.rows,
      o[0],
      o[1],
    ];
  }

  /** Index of the slice on screen. */
  get index(): number {
    return this.#viewport.getCurrentImageIdIndex();
  }

  /** The image id on screen. */
  get currentImageId(): string | undefined {
    return this.#viewport.getCurrentImageId();
  }

  /** Moves to the slice showing `imageId`. */
  async show(imageId: string): Promise<void> {
    const index = this.#viewport.getImageIds().indexOf(imageId);
    if (index >= 0) await this.scrollTo(index);
  }

  /** Moves to a slice (clamped). */
  async scrollTo(index: number): Promise<void> {
    const n = this.#viewport.getImageIds().length;
    if (n === 0) return;
    await this.#viewport.setImageIdIndex(Math.max(0, Math.min(n - 1, index)));
  }

  /** Moves by `delta` slices. */
  scrollBy(delta: number): Promise<void> {
    return this.scrollTo(this.#viewport.getCurrentImageIdIndex() + delta);
  }

  /** Sets the VOI window in modality units (Hounsfield for CT). */
  setWindow(center: number, width: number): void {
    this.#viewport.setProperties({ voiRange: { lower: center - width / 2, upper: center + width / 2 } });
    this.#viewport.render();
  }

  /** Inverts the grey scale. */
  toggleInvert(): void {
    this.#viewport.setProperties({ invert: !(this.#viewport.getProperties().invert ?? false) });
    this.#viewport.render();
  }

  /** Back to the image's own window, fitted, centred. */
  reset(): void {
    this.#viewport.resetProperties();
    this.#viewport.resetCamera();
    this.#viewport.render();
  }

  /** Zoom so one image pixel is one screen pixel. */
  zoomOneToOne(): void {
    // Scale the current zoom by how many screen pixels an image pixel spans now, whichever of
    // width or height limits the fit.
    const t = this.imageToCanvas();
    const screenPerImagePixel = t ? Math.hypot(t[0], t[1]) : 0;
    if (!(screenPerImagePixel > 0)) return;
    this.#viewport.setZoom(this.#viewport.getZoom() / screenPerImagePixel);
    this.#viewport.render();
  }

  /** Chooses the left-button tool. */
  setPrimaryTool(tool: PrimaryTool): void {
    const group = ToolGroupManager.getToolGroup(TOOL_GROUP_ID)!;
    const next = PRIMARY_TOOLS[tool];
    if (next === this.#primary) return;
    const keep = [PanTool.toolName, ZoomTool.toolName];
    if (!keep.includes(this.#primary)) group.setToolPassive(this.#primary);
    else
      group.setToolActive(this.#primary, {
        bindings: [
          {
            mouseButton:
              this.#primary === PanTool.toolName
                ? ToolEnums.MouseBindings.Auxiliary
                : ToolEnums.MouseBindings.Secondary,
          },
        ],
      });
    group.setToolActive(next, { bindings: [{ mouseButton: ToolEnums.MouseBindings.Primary }] });
    this.#primary = next;
  }

  /** The canvas-space camera, for tests and overlays. */
  get camera(): Types.ICamera {
    return this.#viewport.getCamera();
  }

  /** Releases WebGL resources. */
  destroy(): void {
    toolUtilities.cine.stopClip(this.#element);
    toolUtilities.stackPrefetch.disable(this.#element);
    this.#element.removeEventListener(Enums.Events.IMAGE_RENDERED, this.#rendered);
    this.#element.removeEventListener(Enums.Events.STACK_NEW_IMAGE, this.#report);
    ToolGroupManager.destroyToolGroup(TOOL_GROUP_ID);
    this.#engine.destroy();
  }
}

export { eventTarget };
