/** Limits applied to every payload before schema validation. */
export interface PayloadLimits {
  /** Deepest nesting of arrays/objects accepted. */
  readonly maxDepth: number;
  /** Most values (objects, arrays, primitives) in one payload. */
  readonly maxNodes: number;
  /** Longest string accepted anywhere in the payload, in UTF-16 code units. */
  readonly maxStringLength: number;
}

/** Defaults: generous for real calls, small enough that hostile payloads cost little to refuse. */
export const DEFAULT_LIMITS: PayloadLimits = {
  maxDepth: 32,
  maxNodes: 100_000,
  maxStringLength: 1_000_000,
};

/**
 * Walks a payload iteratively (no recursion, so deep nesting cannot overflow the stack) and
 * returns a reason if it breaks a limit, or null. Binary views are counted as one node.
 */
export function checkPayload(value: unknown, limits: PayloadLimits = DEFAULT_LIMITS): string | null {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes) return `payload has more than ${limits.maxNodes} values`;
    if (typeof item === 'string') {
      if (item.length > limits.maxStringLength) return `a string is longer than ${limits.maxStringLength} characters`;
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (ArrayBuffer.isView(item) || item instanceof ArrayBuffer) continue;
    if (depth >= limits.maxDepth) return `payload is nested deeper than ${limits.maxDepth} levels`;
    const children = Array.isArray(item) ? item : Object.values(item);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return null;
}
