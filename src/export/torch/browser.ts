import type { ExperimentConfig } from '../../core/config';
import { torchExportFiles, torchExportName, torchExportZip } from './files';
import { TORCH_TEMPLATES } from './templates';

/**
 * "Export as PyTorch" in the page: the folder for `config` as `<name>.zip`, downloaded. Its data
 * source is this lab's own `data/` URL; `steps` (the run's step, when its `stopAt` is 0) is the
 * script's default length. Loaded on demand (the templates are ≈ 90 kB of text).
 */
export function downloadTorchExport(config: ExperimentConfig, steps: number): string {
  const name = torchExportName(config);
  const files = torchExportFiles(
    {
      config,
      dataSource: new URL('data/', document.baseURI).href,
      steps: steps > 0 ? steps : undefined,
      origin: `MAT Lab at ${location.href}`,
    },
    TORCH_TEMPLATES,
  );
  const zip = torchExportZip(name, files);
  const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}.zip`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return `${name}.zip`;
}
