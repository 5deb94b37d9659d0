/** The rows of a fixed-row-height list that a scroll position shows. */
export interface RowWindow {
  /** First rendered row (inclusive). */
  readonly start: number;
  /** Row after the last rendered one (exclusive). */
  readonly end: number;
  /** Distance of row `start` from the top of the list, in CSS px. */
  readonly offsetPx: number;
}

/**
 * Rows to render for a list of `count` rows of `rowPx` each, scrolled to `scrollTopPx` in a
 * viewport `viewportPx` high, with `overscan` extra rows either side so fast scrolling does not
 * show blanks before the next frame.
 */
export function visibleRows(
  scrollTopPx: number,
  viewportPx: number,
  rowPx: number,
  count: number,
  overscan = 6,
): RowWindow {
  if (count <= 0 || rowPx <= 0) return { start: 0, end: 0, offsetPx: 0 };
  const first = Math.floor(Math.max(0, scrollTopPx) / rowPx);
  const shown = Math.ceil(Math.max(0, viewportPx) / rowPx) + 1;
  const start = Math.min(Math.max(0, first - overscan), count - 1);
  const end = Math.min(count, first + shown + overscan);
  return { start, end: Math.max(start, end), offsetPx: start * rowPx };
}

/**
 * The scroll position that brings row `index` fully into view with the least movement; the
 * current position when it already is.
 */
export function revealRow(index: number, rowPx: number, scrollTopPx: number, viewportPx: number): number {
  const top = index * rowPx;
  const bottom = top + rowPx;
  if (top < scrollTopPx) return top;
  if (bottom > scrollTopPx + viewportPx) return Math.max(0, bottom - viewportPx);
  return scrollTopPx;
}

/** Whether the rendered window is close enough to the loaded end that the next page should load. */
export function needsMore(window: RowWindow, loaded: number, hasMore: boolean, aheadRows = 50): boolean {
  return hasMore && window.end + aheadRows >= loaded;
}
