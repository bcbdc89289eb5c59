import { setPresenter } from '../store/actions';
import { presetStatus } from '../store/preset-state';
import { useLabFields, useLabStore } from '../store/store';
import type { HideKey } from '../core/url';
import { ComputeCounter } from './ComputeCounter';
import { Controls } from './Controls';
import { ErrorPanel } from './ErrorPanel';
import { HeatmapCards } from './CompareHeatmap';
import { ModuleDrilldown } from './ModuleDrilldown';
import { ParamSlider } from './ParamSlider';
import { RunStatus } from './RunStatus';
import { LIVE_SLIDERS } from './shortcuts';
import { Timeline } from './Timeline';
import { useTheme } from './theme';
import { toggleTheme } from './theme-sync';

/**
 * Presenter mode (`?present=1`, the header's button or p): for a projector. Big type; the
 * heatmap, the timeline and the compute counter on one screen (1280 × 720 and up, no scroll);
 * play / pause and the two sliders only; the preset's story as the caption. `hide=` hides parts
 * here too (sliders, compute, heatmap, timeline, controls).
 */
export function PresenterView() {
  const s = useLabFields('runConfig', 'passThrough', 'phase', 'view', 'selectedModule');
  const hide = useLabStore((st) => st.page.hide);
  const theme = useTheme();
  const shown = (k: HideKey) => !hide.includes(k);
  const { preset } = presetStatus(s.runConfig, s.passThrough);
  const disabled = s.phase !== 'ready' || s.view !== 'live';
  return (
    <div className="app presenter" data-testid="presenter">
      <header className="presenter-bar">
        <h1>
          MAT Lab <span className="presenter-preset">{preset ? preset.label : 'custom run'}</span>
        </h1>
        <RunStatus />
        {shown('controls') && <Controls compact />}
        {shown('sliders') && (
          <div className="presenter-sliders" role="group" aria-label="MAT thresholds">
            <ParamSlider
              name="alpha"
              label="α (modular)"
              {...LIVE_SLIDERS.alpha}
              help={`A module trains while its λmax ≥ α × the ${s.runConfig.ref} λmax of its kind.`}
              disabled={disabled}
            />
            <ParamSlider
              name="beta"
              label="β (temporal)"
              {...LIVE_SLIDERS.beta}
              help="A module stops once its λmax changes by less than β."
              disabled={disabled}
            />
          </div>
        )}
        <div className="presenter-tools">
          <button type="button" aria-pressed={theme === 'dark'} onClick={toggleTheme}>
            Dark
          </button>
          <button
            type="button"
            data-testid="presenter.exit"
            onClick={() => setPresenter(false)}
            title="Back to the full lab (p)"
          >
            Exit presenter
          </button>
        </div>
      </header>
      <ErrorPanel />
      <main className="presenter-main">
        <p className="presenter-caption" data-testid="presenter.caption">
          {preset
            ? preset.explanation
            : 'A custom experiment: each module’s λmax (heatmap) decides whether it trains (timeline).'}
        </p>
        {shown('compute') && <ComputeCounter compact />}
        <div className="presenter-grids">
          {/* With a second arm (Live A/B), both arms' heatmaps on one colour scale. */}
          {shown('heatmap') && <HeatmapCards />}
          {shown('timeline') && <Timeline />}
        </div>
        {s.selectedModule !== null && <ModuleDrilldown />}
      </main>
    </div>
  );
}
