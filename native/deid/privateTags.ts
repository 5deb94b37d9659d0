/**
 * Private attributes kept by de-identified export: a few numeric acquisition parameters from
 * PS3.15 Table E.3.10-1 (Safe Private Attributes) that carry no identity and that reconstruction
 * or dose work needs. Every other private attribute is removed, as the Basic Profile requires.
 * Keeping any of these adds the Retain Safe Private Option (113111) to the method code sequence.
 */
export interface SafePrivate {
  readonly creator: string;
  readonly group: number;
  /** Element offset within the creator's block (the `yy` of `(gggg,xxyy)`). */
  readonly offset: number;
  readonly name: string;
}

/** The safe list. */
export const SAFE_PRIVATE: readonly SafePrivate[] = [
  { creator: 'GEMS_ACQU_01', group: 0x0019, offset: 0x23, name: 'Table Speed' },
  { creator: 'GEMS_ACQU_01', group: 0x0019, offset: 0x24, name: 'Mid Scan Time' },
  { creator: 'GEMS_ACQU_01', group: 0x0019, offset: 0x27, name: 'Rotation Speed (Gantry Period)' },
  { creator: 'GEMS_PARM_01', group: 0x0043, offset: 0x27, name: 'Scan Pitch Ratio' },
  { creator: 'SIEMENS MR HEADER', group: 0x0019, offset: 0x0c, name: 'B Value' },
  { creator: 'SIEMENS MR HEADER', group: 0x0019, offset: 0x0d, name: 'Diffusion Directionality' },
  { creator: 'SIEMENS MR HEADER', group: 0x0019, offset: 0x0e, name: 'Diffusion Gradient Direction' },
  { creator: 'SIEMENS MR HEADER', group: 0x0019, offset: 0x27, name: 'B Matrix' },
];

/** True when the element `offset` of `creator`'s block in `group` is on the safe list. */
export function isSafePrivate(creator: string, group: number, offset: number): boolean {
  const c = creator.trim();
  return SAFE_PRIVATE.some((s) => s.creator === c && s.group === group && s.offset === offset);
}
