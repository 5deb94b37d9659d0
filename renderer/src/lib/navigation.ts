import type { Component } from 'svelte';
import type { OslerApi } from '../../../native/contract/index.js';
import ImportView from '../views/ImportView.svelte';
import ModelsView from '../views/ModelsView.svelte';
import NotesView from '../views/NotesView.svelte';
import RecordView from '../views/RecordView.svelte';
import StatusView from '../views/StatusView.svelte';
import ViewerView from '../views/ViewerView.svelte';
import VitalsView from '../views/VitalsView.svelte';
import WorklistView from '../views/WorklistView.svelte';

/** Props every top-level view receives. */
export interface ViewProps {
  api: OslerApi;
  /** Switches to another section by its id (a view opening a case in another view). */
  navigate: (sectionId: string) => void;
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
  { id: 'worklist', label: 'Worklist', key: '1', view: WorklistView },
  { id: 'viewer', label: 'Viewer', key: '2', view: ViewerView },
  { id: 'vitals', label: 'Vitals', key: '4', view: VitalsView },
  { id: 'notes', label: 'Notes', key: '3', view: NotesView },
  { id: 'record', label: 'Patient', key: '6', view: RecordView },
  { id: 'models', label: 'Models', key: '5', view: ModelsView },
  { id: 'import', label: 'Import', key: '7', view: ImportView },
  { id: 'status', label: 'Status', key: '0', view: StatusView },
];
