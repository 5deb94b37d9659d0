import type { Component } from 'svelte';
import type { OslerApi } from '../../../native/contract/index.js';
import StatusView from '../views/StatusView.svelte';
import ViewerView from '../views/ViewerView.svelte';

/** Props every top-level view receives. */
export interface ViewProps {
  api: OslerApi;
}

/** One entry of the navigation frame. */
export interface Section {
  readonly id: string;
  readonly label: string;
  /** Keyboard shortcut (with Alt). */
  readonly key: string;
  readonly view: Component<ViewProps>;
}

/**
 * The sections of the workstation that work today. Worklist, Viewer, Notes, Vitals and Models
 * join this list as each becomes real; none is shown before it does something.
 */
export const SECTIONS: readonly Section[] = [
  { id: 'viewer', label: 'Viewer', key: '2', view: ViewerView },
  { id: 'status', label: 'Status', key: '0', view: StatusView },
];
