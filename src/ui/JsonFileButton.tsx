import { useRef } from 'react';

/**
 * A button that opens the file picker for one JSON file (the input itself is visually hidden
 * but labelled, so tests and assistive tech can reach it). The input is cleared after each
 * pick, so choosing the same file again fires again.
 */
export function JsonFileButton({
  label,
  inputLabel,
  testId,
  onFile,
  disabled = false,
}: {
  label: string;
  inputLabel: string;
  testId?: string;
  onFile: (file: File) => Promise<void> | void;
  /** While true (e.g. a file is being read) the button does not open the picker. */
  disabled?: boolean;
}) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" onClick={() => ref.current?.click()} disabled={disabled}>
        {label}
      </button>
      <input
        ref={ref}
        type="file"
        accept=".json,application/json"
        className="visually-hidden"
        aria-label={inputLabel}
        data-testid={testId}
        onChange={(e) => {
          const file = e.target.files?.[0];
          const input = e.target;
          if (file) void Promise.resolve(onFile(file)).finally(() => (input.value = ''));
        }}
      />
    </>
  );
}
