import type { TorchTemplates } from './files';
import matTrain from './templates/mat_train.py?raw';
import prepareData from './templates/prepare_data.py?raw';
import readme from './templates/README.md?raw';
import requirements from './templates/requirements.txt?raw';

/** The export's template files, bundled as text by Vite (the page; Vitest too). */
export const TORCH_TEMPLATES: TorchTemplates = {
  'mat_train.py': matTrain,
  'prepare_data.py': prepareData,
  'requirements.txt': requirements,
  'README.md': readme,
};
