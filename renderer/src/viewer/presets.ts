/** A named window in modality units. */
export interface WindowPreset {
  readonly name: string;
  readonly width: number;
  readonly center: number;
  /** Keyboard shortcut. */
  readonly key?: string;
}

/** Standard CT windows (width/center in Hounsfield units). */
export const CT_PRESETS: readonly WindowPreset[] = [
  { name: 'Brain', width: 80, center: 40, key: '1' },
  { name: 'Subdural', width: 200, center: 75, key: '2' },
  { name: 'Stroke', width: 40, center: 40, key: '3' },
  { name: 'Bone', width: 2000, center: 500, key: '4' },
  { name: 'Lung', width: 1500, center: -600, key: '5' },
  { name: 'Mediastinum', width: 350, center: 50, key: '6' },
  { name: 'Abdomen', width: 400, center: 40, key: '7' },
  { name: 'Liver', width: 150, center: 30, key: '8' },
];
