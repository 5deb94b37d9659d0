import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { isChannelName, isEventName } from '../native/contract/channels.js';
import { fail } from '../native/contract/result.js';
import type { BridgeApi } from '../native/contract/api.js';
import { IPC_EVENT, IPC_INVOKE } from './windowOptions.js';

// The only surface the page gets: invoke a contract channel, listen to a contract event.
const bridge: BridgeApi = {
  invoke(channel, input) {
    if (!isChannelName(channel)) return Promise.resolve(fail('unknown-channel', 'no such channel'));
    return ipcRenderer.invoke(IPC_INVOKE, channel, input) as Promise<unknown>;
  },
  on(event, listener) {
    if (!isEventName(event) || typeof listener !== 'function') return () => undefined;
    const wrapped = (_e: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.off(IPC_EVENT, wrapped);
  },
  // A dropped file's path (the import screen's drag and drop); the page cannot read the file itself.
  pathForFile(file: unknown) {
    return file instanceof File ? webUtils.getPathForFile(file) : '';
  },
};

contextBridge.exposeInMainWorld('osler', bridge);
