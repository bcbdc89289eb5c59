import { useLabStore } from '../store/store';
import { BackendBadge } from './BackendBadge';
import { modelPhrase, moduleWords } from './model-words';
import { PageToolbar } from './PageToolbar';
import { RunStatus } from './RunStatus';
import { Term } from './Term';

export function Header() {
  const model = useLabStore((s) => s.runConfig.model);
  const modules = useLabStore((s) => s.runConfig.modules);
  const fc = useLabStore((s) => s.runConfig.fc);
  return (
    <header className="app-header">
      <div className="brand">
        <h1>MAT Lab</h1>
        <p className="tagline">
          Modular Adaptive Training of {modelPhrase(model)} in your browser, with each{' '}
          {moduleWords(model, modules, fc).one}&apos;s <Term term="mntk">mNTK</Term>{' '}
          <Term term="lambdaMax">λmax</Term>, live.
        </p>
      </div>
      <div className="header-status">
        <BackendBadge />
        <RunStatus />
        <PageToolbar />
      </div>
    </header>
  );
}
