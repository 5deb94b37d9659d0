import { eventTarget } from '@cornerstonejs/core';
import { annotation as csAnnotation, Enums as ToolEnums, type Types as ToolTypes } from '@cornerstonejs/tools';
import type { OslerApi } from '../../../native/contract/api.js';

type Annotation = ToolTypes.Annotation;
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One measurement as the side panel lists it. */
export interface MeasurementRow {
  readonly id: number;
  readonly uid: string;
  readonly kind: string;
  /** Human-readable value (length, mean ± SD, angle, probe value). */
  readonly summary: string;
  /** Image id the measurement was drawn on. */
  readonly imageId: string;
  readonly author: string | null;
  readonly createdAt: string;
}

type Stats = Record<string, number | string | undefined>;

function fmt(n: unknown, digits = 1): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–';
}

/** A readable summary of a cornerstone annotation's cached statistics. */
export function summarise(kind: string, data: Annotation['data']): string {
  const all = (data as { cachedStats?: Record<string, Stats> }).cachedStats ?? {};
  const stats = Object.values(all).at(-1) ?? {};
  const unit = (stats.unit ?? stats.lengthUnits ?? stats.modalityUnit ?? '') as string;
  switch (kind) {
    case 'Length':
      return `${fmt(stats.length)} ${unit || 'mm'}`;
    case 'Angle':
      return `${fmt(stats.angle)}°`;
    case 'Probe':
      return `${fmt(stats.value, 0)} ${(stats.modalityUnit as string) ?? ''}`.trim();
    default:
      return `mean ${fmt(stats.mean)} ± ${fmt(stats.stdDev)} (min ${fmt(stats.min, 0)}, max ${fmt(stats.max, 0)}) ${(stats.modalityUnit as string) ?? ''}; area ${fmt(stats.area)} ${(stats.areaUnit as string) ?? 'mm²'}`;
  }
}

/**
 * Keeps cornerstone's annotations of one series in step with the store: saved when completed,
 * updated after an edit, deleted when removed, and restored when the series is reopened.
 */
export class MeasurementStore {
  rows = $state.raw<MeasurementRow[]>([]);
  error = $state<string | null>(null);

  readonly #api: OslerApi;
  readonly #seriesId: number;
  readonly #ids = new Map<string, number>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #pending = new Map<string, Annotation>();
  #restoring = false;

  constructor(api: OslerApi, seriesId: number) {
    this.#api = api;
    this.#seriesId = seriesId;
    eventTarget.addEventListener(ToolEnums.Events.ANNOTATION_COMPLETED, this.#onCompleted);
    eventTarget.addEventListener(ToolEnums.Events.ANNOTATION_MODIFIED, this.#onModified);
    eventTarget.addEventListener(ToolEnums.Events.ANNOTATION_REMOVED, this.#onRemoved);
  }

  /** Loads the series' saved measurements into the viewer. */
  async restore(element: HTMLDivElement): Promise<void> {
    const result = await this.#api.invoke('annotations.list', { seriesId: this.#seriesId });
    if (!result.ok) {
      this.error = result.message;
      return;
    }
    this.#restoring = true;
    try {
      for (const saved of result.value) {
        const ann = structuredClone(saved.data) as Annotation;
        if (!ann?.annotationUID || !ann.metadata) continue;
        this.#ids.set(ann.annotationUID, saved.id);
        csAnnotation.state.addAnnotation(ann, element);
      }
    } finally {
      this.#restoring = false;
    }
    this.rows = result.value.map((s) => {
      const ann = s.data as Annotation;
      return {
        id: s.id,
        uid: ann.annotationUID ?? '',
        kind: s.kind,
        summary: summarise(s.kind, ann.data),
        imageId: ann.metadata?.referencedImageId ?? '',
        author: s.author,
        createdAt: s.createdAt,
      };
    });
  }

  #serialise(ann: Annotation): Record<string, JsonValue> {
    // Plain data only: drop cornerstone's runtime fields that do not survive JSON.
    return JSON.parse(JSON.stringify({ ...ann, isSelected: false, highlighted: false })) as Record<string, JsonValue>;
  }

  #mine(ann: Annotation | undefined): ann is Annotation {
    return Boolean(ann?.metadata?.referencedImageId?.startsWith('osler:')) && !this.#restoring;
  }

  readonly #onCompleted = async (event: Event): Promise<void> => {
    const ann = (event as CustomEvent<{ annotation: Annotation }>).detail.annotation;
    if (!this.#mine(ann) || !ann.annotationUID || !ann.metadata) return;
    const kind = ann.metadata.toolName;
    const imageId = ann.metadata.referencedImageId ?? '';
    const result = await this.#api.invoke('annotations.save', {
      seriesId: this.#seriesId,
      kind,
      data: this.#serialise(ann),
    });
    if (!result.ok) {
      this.error = `measurement not saved: ${result.message}`;
      return;
    }
    this.#ids.set(ann.annotationUID, result.value.id);
    this.rows = [
      ...this.rows,
      {
        id: result.value.id,
        uid: ann.annotationUID,
        kind,
        summary: summarise(kind, ann.data),
        imageId,
        author: result.value.author,
        createdAt: result.value.createdAt,
      },
    ];
    this.#scheduleUpdate(ann);
  };

  readonly #onModified = (event: Event): void => {
    const ann = (event as CustomEvent<{ annotation: Annotation }>).detail.annotation;
    if (!this.#mine(ann) || !ann.annotationUID || !this.#ids.has(ann.annotationUID)) return;
    this.#scheduleUpdate(ann);
  };

  /**
   * Stores the annotation's latest data shortly after its last change: dragging fires many
   * modifications, and cornerstone computes statistics on a throttle, so the data at
   * completion can be a step behind what is drawn.
   */
  #scheduleUpdate(ann: Annotation): void {
    const uid = ann.annotationUID!;
    clearTimeout(this.#timers.get(uid));
    this.#pending.set(uid, ann);
    this.#timers.set(
      uid,
      setTimeout(() => void this.#flush(uid), 300),
    );
  }

  /** Stores an annotation's latest data now. */
  async #flush(uid: string): Promise<void> {
    clearTimeout(this.#timers.get(uid));
    this.#timers.delete(uid);
    const ann = this.#pending.get(uid);
    this.#pending.delete(uid);
    const id = this.#ids.get(uid);
    if (!ann || id === undefined) return;
    // The panel shows exactly what was stored: one snapshot for both.
    const data = this.#serialise(ann);
    const result = await this.#api.invoke('annotations.update', { id, data });
    if (!result.ok) this.error = `measurement not updated: ${result.message}`;
    else
      this.rows = this.rows.map((r) =>
        r.uid === uid ? { ...r, summary: summarise(r.kind, data.data as Annotation['data']) } : r,
      );
  }

  readonly #onRemoved = async (event: Event): Promise<void> => {
    const ann = (event as CustomEvent<{ annotation: Annotation }>).detail.annotation;
    const uid = ann?.annotationUID;
    if (!uid) return;
    const id = this.#ids.get(uid);
    if (id === undefined) return;
    this.#ids.delete(uid);
    const result = await this.#api.invoke('annotations.delete', { id });
    if (!result.ok) this.error = `measurement not deleted: ${result.message}`;
    this.rows = this.rows.filter((r) => r.uid !== uid);
  };

  /** Deletes a measurement from the viewer and the store. */
  remove(uid: string): void {
    csAnnotation.state.removeAnnotation(uid);
  }

  /** Stops listening (the series was closed). Annotations stay saved. */
  dispose(): void {
    eventTarget.removeEventListener(ToolEnums.Events.ANNOTATION_COMPLETED, this.#onCompleted);
    eventTarget.removeEventListener(ToolEnums.Events.ANNOTATION_MODIFIED, this.#onModified);
    eventTarget.removeEventListener(ToolEnums.Events.ANNOTATION_REMOVED, this.#onRemoved);
    // Edits still waiting for their debounce are stored now, not lost with the series.
    for (const uid of [...this.#pending.keys()]) void this.#flush(uid);
    for (const uid of this.#ids.keys()) csAnnotation.state.removeAnnotation(uid);
  }
}
