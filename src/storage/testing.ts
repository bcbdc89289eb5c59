/** A run store in memory for Node tests (no IndexedDB there), with IndexedDB's copy semantics. */
import type { RunStore, SavedRun, SavedRunMeta } from './run-store';

export class MemoryRunStore implements RunStore {
  readonly runs = new Map<string, SavedRun>();
  /** Set to make the next writes fail as a browser's would (e.g. a full store). */
  failPut: (() => Error) | null = null;
  puts = 0;

  list(): Promise<SavedRunMeta[]> {
    const metas = [...this.runs.values()].map((r) => structuredClone(r.meta));
    return Promise.resolve(metas.sort((a, b) => b.savedAt - a.savedAt));
  }
  get(id: string): Promise<SavedRun | null> {
    const r = this.runs.get(id);
    return Promise.resolve(r ? structuredClone(r) : null);
  }
  put(run: SavedRun): Promise<void> {
    this.puts++;
    if (this.failPut) return Promise.reject(this.failPut());
    // IndexedDB stores a structured clone: later changes to `run` do not reach it.
    this.runs.set(run.meta.id, structuredClone(run));
    return Promise.resolve();
  }
  delete(id: string): Promise<void> {
    this.runs.delete(id);
    return Promise.resolve();
  }
}

/** The DOMException a browser throws when a site's storage quota is exhausted. */
export function quotaExceeded(): DOMException {
  return new DOMException('The quota has been exceeded.', 'QuotaExceededError');
}

/** A run-list store in memory, with IndexedDB's copy semantics. */
export class MemoryRunListStore {
  record: unknown = undefined;
  saves = 0;
  /** Set to make the next writes fail as a browser's would. */
  failSave: (() => Error) | null = null;

  load(): Promise<unknown> {
    return Promise.resolve(structuredClone(this.record));
  }
  save(record: unknown): Promise<void> {
    this.saves++;
    if (this.failSave) return Promise.reject(this.failSave());
    this.record = structuredClone(record);
    return Promise.resolve();
  }
}
