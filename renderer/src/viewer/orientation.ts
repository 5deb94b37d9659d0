type Vec3 = readonly [number, number, number];

const LETTERS: readonly [string, string][] = [
  ['L', 'R'],
  ['P', 'A'],
  ['H', 'F'],
];

/**
 * The patient-direction label of an LPS vector, strongest axis first (e.g. `LP` for a vector
 * mostly left and somewhat posterior); components under 25% of the strongest are left out.
 */
export function directionLabel(v: Vec3): string {
  const parts = [0, 1, 2].map((axis) => ({ axis, size: Math.abs(v[axis]!) })).sort((a, b) => b.size - a.size);
  const strongest = parts[0]!.size;
  if (strongest === 0) return '';
  return parts
    .filter((p) => p.size >= strongest * 0.25)
    .map((p) => LETTERS[p.axis]![v[p.axis]! >= 0 ? 0 : 1])
    .join('');
}

/** Labels of the four image edges from the row and column direction cosines. */
export function edgeLabels(row: Vec3, column: Vec3): { left: string; right: string; top: string; bottom: string } {
  const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]];
  return {
    right: directionLabel(row),
    left: directionLabel(neg(row)),
    bottom: directionLabel(column),
    top: directionLabel(neg(column)),
  };
}
