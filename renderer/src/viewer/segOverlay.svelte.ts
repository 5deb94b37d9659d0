import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';
import { paintLabels, type OverlayLayer } from './overlayLayer.js';

type SegRef = ChannelOutput<'overlays.list'>['segmentations'][number];
type Segmentation = ChannelOutput<'seg.get'>;

/**
 * DICOM SEG overlays of the open series: which segmentations exist, the one shown, its style
 * (opacity, outline, per-segment visibility), and the label map of the current slice.
 */
export class SegOverlayState {
  available = $state.raw<SegRef[]>([]);
  active = $state.raw<Segmentation | null>(null);
  enabled = $state(true);
  opacity = $state(0.4);
  outline = $state(true);
  hidden = $state.raw<ReadonlySet<number>>(new Set());
  error = $state<string | null>(null);
  /** Labelled pixels drawn on the current slice. */
  drawn = $state(0);

  readonly #api: OslerApi;
  readonly #seriesId: number;
  readonly #slices = new Map<number, Uint8Array>();
  #layer: OverlayLayer | null = null;
  #slice = -1;

  constructor(api: OslerApi, seriesId: number) {
    this.#api = api;
    this.#seriesId = seriesId;
  }

  /** Lists the series' segmentations and shows the first. */
  async load(layer: OverlayLayer): Promise<void> {
    this.#layer = layer;
    const result = await this.#api.invoke('overlays.list', { seriesId: this.#seriesId });
    if (!result.ok) return void (this.error = result.message);
    this.available = result.value.segmentations;
    if (this.available[0]) await this.show(this.available[0].instanceId);
  }

  /** Shows one segmentation (null hides all). */
  async show(segInstanceId: number | null): Promise<void> {
    this.#slices.clear();
    if (segInstanceId === null) {
      this.active = null;
      this.repaint();
      return;
    }
    const result = await this.#api.invoke('seg.get', { segInstanceId, seriesId: this.#seriesId });
    if (!result.ok) return void (this.error = result.message);
    this.error = null;
    this.active = result.value;
    this.hidden = new Set();
    await this.setSlice(this.#slice);
  }

  /** Follows the viewer to another slice. */
  async setSlice(index: number): Promise<void> {
    this.#slice = index;
    const seg = this.active;
    if (!seg || index < 0) return this.repaint();
    if (!this.#slices.has(index) && seg.slices.some((s) => s.sliceIndex === index)) {
      const result = await this.#api.invoke('seg.slice', {
        segInstanceId: seg.segInstanceId,
        seriesId: this.#seriesId,
        sliceIndex: index,
      });
      if (!result.ok) return void (this.error = result.message);
      this.#slices.set(index, result.value.labelmap as Uint8Array);
    }
    if (index === this.#slice) this.repaint();
  }

  /** Shows or hides one segment. */
  toggleSegment(number: number): void {
    const next = new Set(this.hidden);
    if (next.has(number)) next.delete(number);
    else next.add(number);
    this.hidden = next;
    this.repaint();
  }

  /** Rebuilds the layer's pixels from the current slice and style. */
  repaint(): void {
    const layer = this.#layer;
    if (!layer) return;
    const seg = this.active;
    const labels = seg ? this.#slices.get(this.#slice) : undefined;
    if (!seg || !labels || !this.enabled) {
      this.drawn = 0;
      layer.setImage(null, 0, 0);
      return;
    }
    const colors = new Map(seg.segments.map((s) => [s.number, s.color] as const));
    const visible = new Set(seg.segments.map((s) => s.number).filter((n) => !this.hidden.has(n)));
    const { rgba, drawn } = paintLabels(labels, seg.rows, seg.columns, {
      colors,
      visible,
      opacity: this.opacity,
      outline: this.outline,
    });
    this.drawn = drawn;
    layer.setImage(rgba, seg.rows, seg.columns, drawn);
  }
}
