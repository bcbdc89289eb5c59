import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createTrainer } from './client';
import { installLabHook } from './lab-hook';
import { addErrors, bootLab } from './store/actions';
import { configureRunStore } from './store/autosave';
import { idbRunStore } from './storage/run-store';
import { idbRunListStore } from './storage/run-list-store';
import { configureRunListStore } from './store/run-list-persist';
import { App } from './ui/App';
import { PanelBoundary } from './ui/PanelBoundary';
import { startThemeSync } from './ui/theme-sync';
import { startUrlSync } from './ui/url-sync';
import './styles.css';

installLabHook();
// Runs are saved where the browser has IndexedDB (not in every private window).
void configureRunStore(typeof indexedDB === 'undefined' ? null : idbRunStore());
// The run list too: restored before the first run is replaced, saved on change and on pagehide.
void configureRunListStore(typeof indexedDB === 'undefined' ? null : idbRunListStore(), {
  target: window,
});
try {
  bootLab(location.search + location.hash, (opts) => createTrainer(opts));
} catch (e) {
  // The page must never be blank: say why training could not start and keep the controls.
  addErrors([
    {
      source: 'trainer',
      code: 'internal',
      message: `The trainer could not be created: ${e instanceof Error ? e.message : String(e)}.`,
      fatal: true,
    },
  ]);
}
startUrlSync();
startThemeSync();

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      {/* The last line against a blank page; every panel also has its own boundary (App). */}
      <PanelBoundary name="page">
        <App />
      </PanelBoundary>
    </StrictMode>,
  );
}
