import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_RUN_FILE_BYTES } from '../core/runfile';
import { readRunFile } from '../client/run-file-reader';
import type { NamedBlob } from '../client/run-file-reader';
import { importRunFile } from './actions';
import type { ImportProgress } from './run-import';
import { readRunFileText } from './run-import';
import { resetStore, useLabStore } from './store';
import { mlpRunFile } from './testing';

const get = useLabStore.getState;
beforeEach(() => resetStore());

/** A picked file: `text`, named, with a spy on whether it was read. */
function pickedFile(text: string, name = 'run.json', size?: number) {
  const blob = new Blob([text], { type: 'application/json' });
  const file = Object.assign(blob, { name, reads: 0 });
  const read = blob.text.bind(blob);
  file.text = () => {
    file.reads++;
    return read();
  };
  if (size !== undefined) Object.defineProperty(file, 'size', { value: size });
  return file as NamedBlob & { reads: number };
}

describe('importing a picked run file', () => {
  it('refuses a file over the cap by its size, before reading a byte', async () => {
    const file = pickedFile('{}', 'huge.json', MAX_RUN_FILE_BYTES + 1);
    expect(await importRunFile(file)).toBe(false);
    expect(file.reads).toBe(0);
    expect(get().errors.map((e) => e.message)).toEqual([
      'huge.json is 100 MB, more than the 100 MB a run file may have; it was not read.',
    ]);
    expect(get().importing).toBeNull();
  });

  it('reads, parses and checks on this thread where there are no workers, saying how far it is', async () => {
    expect(typeof Worker).toBe('undefined');
    const stages: ImportProgress[] = [];
    const text = JSON.stringify(mlpRunFile());
    const result = await readRunFile(pickedFile(text), (p) => stages.push(p));
    expect(result.ok).toBe(true);
    expect(stages.map((p) => p.stage)).toEqual(['reading', 'parsing', 'checking']);
    expect(stages.every((p) => p.name === 'run.json' && p.total === text.length)).toBe(true);
  });

  it('shows the run and clears the progress; one import at a time', async () => {
    const file = pickedFile(JSON.stringify(mlpRunFile()));
    const first = importRunFile(file);
    expect(get().importing).toMatchObject({ name: 'run.json', stage: 'reading' });
    // A second file while the first is read is not taken (the button is disabled meanwhile).
    expect(await importRunFile(pickedFile('{}', 'second.json'))).toBe(false);
    expect(await first).toBe(true);
    expect(get().view).toBe('imported');
    expect(get().importedName).toBe('run.json');
    expect(get().importing).toBeNull();
    expect(get().errors).toEqual([]);
  });

  it('names the file and the field when the file is refused', async () => {
    const bad = mlpRunFile();
    bad.evaluations[0]!.reasons = ['<b>bogus</b>' as never];
    expect(await importRunFile(pickedFile(JSON.stringify(bad), 'bad.json'))).toBe(false);
    expect(get().errors[0]?.message).toMatch(
      /^bad\.json could not be imported\. .*evaluations\.0\.reasons\.0: /,
    );
    expect(await importRunFile(pickedFile('{"format":', 'cut.json'))).toBe(false);
    expect(get().errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^cut\.json could not be imported: it is not JSON \(/),
    ]);
    expect(get().view).toBe('live');
  });

  it('gives run data the worker can post: plain data and typed arrays, cloned equal', () => {
    const result = readRunFileText(JSON.stringify(mlpRunFile()), 'run.json');
    if (!result.ok) throw new Error(result.message);
    expect(structuredClone(result.data)).toEqual(result.data);
  });
});
