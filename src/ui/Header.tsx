import { useLabStore } from '../store/store';
import { BackendBadge } from './BackendBadge';
import { modelPhrase, moduleWords } from './model-words';
import { RunStatus } from './RunStatus';

export function Header() {
  const model = useLabStore((s) => s.runConfig.model);
  const modules = useLabStore((s) => s.runConfig.modules);
  return (
    <header className="app-header">
      <div className="brand">
        <h1>MAT Lab</h1>
        <p className="tagline">
          Modular Adaptive Training of {modelPhrase(model)} in your browser, with each{' '}
          {moduleWords(model, modules).one}&apos;s mNTK λmax, live.
        </p>
      </div>
      <div className="header-status">
        <BackendBadge />
        <RunStatus />
      </div>
    </header>
  );
}
