/** Saves text as a file through a temporary object URL. */
export function downloadText(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `mat-lab-run-<seed>-<step>.json` */
export function runFileName(seed: number, step: number): string {
  return `mat-lab-run-${seed}-${step}.json`;
}
