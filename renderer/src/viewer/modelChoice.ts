/** An image model the panel can run, with whether its metadata names this series' modality. */
export interface ImageModel {
  readonly name: string;
  readonly title: string;
  readonly outputs: readonly string[];
  readonly positiveClass: string | null;
  readonly activeVersion: string | null;
  /** Modalities from the bundle's `input.modalities` (empty: not restricted). */
  readonly modalities: readonly string[];
}

/**
 * Orders image models for a modality: those naming it first, then unrestricted ones; models
 * restricted to other modalities, and models without an active version, are left out.
 */
export function modelsFor(models: readonly ImageModel[], modality: string): ImageModel[] {
  const rank = (m: ImageModel) => (m.modalities.includes(modality) ? 0 : m.modalities.length === 0 ? 1 : 2);
  return models.filter((m) => m.activeVersion !== null && rank(m) < 2).sort((a, b) => rank(a) - rank(b));
}

/** The class a slice score stands for: the positive class at >= 0.5 for two-class models. */
export function sliceClass(model: Pick<ImageModel, 'outputs' | 'positiveClass'>, score: number): string | null {
  if (model.positiveClass === null || model.outputs.length !== 2) return null;
  return score >= 0.5 ? model.positiveClass : (model.outputs.find((o) => o !== model.positiveClass) ?? null);
}

/**
 * A class as a reader sees it: two-class models trained on 0/1 columns name their classes "0" and
 * "1", so those read "positive (1)" / "negative (0)"; other class names are shown as they are.
 */
export function classText(model: Pick<ImageModel, 'outputs' | 'positiveClass'> | null, cls: string): string {
  if (!model || model.positiveClass === null || model.outputs.length !== 2 || !/^\d+$/.test(cls)) return cls;
  return `${cls === model.positiveClass ? 'positive' : 'negative'} (${cls})`;
}
