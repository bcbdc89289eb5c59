/**
 * The run list across reloads: one IndexedDB record (through `idb`) holding the kept runs'
 * entries and how the loss chart shows them. Its own database, so the saved runs' schema
 * (`run-store.ts`) is untouched; what is read back is checked by `store/run-list-persist.ts`
 * before it reaches the page (an older page version, or another tab, may have written it).
 */
import type { IDBPDatabase } from 'idb';
import { openDB } from 'idb';

/** Where the run list is kept between page loads: IndexedDB in the browser; tests pass their own. */
export interface RunListStore {
  /** The record last saved, unchecked; undefined when none. */
  load(): Promise<unknown>;
  save(record: unknown): Promise<void>;
}

const DB_NAME = 'mat-lab-run-list';
const DB_VERSION = 1;
const STORE = 'state';
const KEY = 'list';

export function idbRunListStore(): RunListStore {
  let db: Promise<IDBPDatabase> | null = null;
  const open = () =>
    (db ??= openDB(DB_NAME, DB_VERSION, {
      upgrade(d) {
        d.createObjectStore(STORE);
      },
    }));
  return {
    async load() {
      return (await open()).get(STORE, KEY) as Promise<unknown>;
    },
    async save(record) {
      await (await open()).put(STORE, record, KEY);
    },
  };
}
