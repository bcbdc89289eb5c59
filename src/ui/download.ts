/** Saves a blob as a file through a temporary object URL. */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Saves text as a file through a temporary object URL. */
export function downloadText(name: string, text: string, type = 'application/json'): void {
  downloadBlob(name, new Blob([text], { type }));
}

/** `mat-lab-run-<seed>-<step>.json` */
export function runFileName(seed: number, step: number): string {
  return `mat-lab-run-${seed}-${step}.json`;
}

/** `mat-lab-<what>-<seed>-<step>.<ext>`: an export of the run on screen (CSV, PNG, SVG). */
export function exportFileName(what: string, seed: number, step: number, ext: string): string {
  return `mat-lab-${what}-${seed}-${step}.${ext}`;
}
