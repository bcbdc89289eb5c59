/**
 * Saved runs in the browser's IndexedDB (through `idb`, a 1 kB promise wrapper): one small
 * description per run (`runs`, listed without reading any weights) and its checkpoint
 * (`checkpoints`, docs/checkpoints.md), written together in one transaction so a list entry never
 * lacks its checkpoint. The page (main thread) writes; the worker only produces checkpoints.
 */
import type { IDBPDatabase } from 'idb';
import { openDB } from 'idb';
import type { ExperimentConfig } from '../core/config';
import type { RunCheckpoint } from '../core/checkpoint';

/** What the saved-runs list shows of a run, and what a link is matched against on reload. */
export interface SavedRunMeta {
  id: string;
  /** The preset the run is (the link's `preset=`, or the one its experiment equals); else null. */
  preset: string | null;
  /** The preset's label, or "custom <model family>". */
  name: string;
  /** Completed steps at the checkpoint. */
  step: number;
  /** When this save was written, and when the run started (ms since 1970). */
  savedAt: number;
  startedAt: number;
  /** The checkpoint's size (`checkpointBytes`). */
  bytes: number;
  /** The backend it trained on. */
  backend: string;
  /** The experiment as its link describes it at the save: the config with every logged change. */
  link: ExperimentConfig;
}

export interface SavedRun {
  meta: SavedRunMeta;
  checkpoint: RunCheckpoint;
}

/** Where saved runs live: IndexedDB in the browser; tests pass their own. */
export interface RunStore {
  /** Every saved run's description (no checkpoint is read). */
  list(): Promise<SavedRunMeta[]>;
  get(id: string): Promise<SavedRun | null>;
  /** Writes (or replaces) a run and its checkpoint, atomically. */
  put(run: SavedRun): Promise<void>;
  delete(id: string): Promise<void>;
}

const DB_NAME = 'mat-lab';
const DB_VERSION = 1;
const META = 'runs';
const DATA = 'checkpoints';

/** The IndexedDB store; rejects (at its first use) where the browser has no IndexedDB. */
export function idbRunStore(): RunStore {
  let db: Promise<IDBPDatabase> | null = null;
  const open = () =>
    (db ??= openDB(DB_NAME, DB_VERSION, {
      upgrade(d) {
        d.createObjectStore(META, { keyPath: 'id' });
        d.createObjectStore(DATA);
      },
    }));
  return {
    async list() {
      return ((await (await open()).getAll(META)) as SavedRunMeta[]).sort(
        (a, b) => b.savedAt - a.savedAt,
      );
    },
    async get(id) {
      const tx = (await open()).transaction([META, DATA], 'readonly');
      const [meta, checkpoint] = await Promise.all([
        tx.objectStore(META).get(id) as Promise<SavedRunMeta | undefined>,
        tx.objectStore(DATA).get(id) as Promise<RunCheckpoint | undefined>,
        tx.done,
      ]);
      return meta && checkpoint ? { meta, checkpoint } : null;
    },
    async put(run) {
      // Relaxed: done once the browser has the data, without waiting for the disk to flush it
      // (an autosave lost to a power cut is replaced by the next one).
      const tx = (await open()).transaction([META, DATA], 'readwrite', { durability: 'relaxed' });
      await Promise.all([
        tx.objectStore(META).put(run.meta),
        tx.objectStore(DATA).put(run.checkpoint, run.meta.id),
        tx.done,
      ]);
    },
    async delete(id) {
      const tx = (await open()).transaction([META, DATA], 'readwrite');
      await Promise.all([
        tx.objectStore(META).delete(id),
        tx.objectStore(DATA).delete(id),
        tx.done,
      ]);
    },
  };
}

/** Whether `e` is the browser saying its storage for the site is full. */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}
