import type { ReactNode } from 'react';
import { useLabStore } from '../store/store';
import type { HideKey } from '../core/url';
import { ChangeLog } from './ChangeLog';
import { ComputeCounter } from './ComputeCounter';
import { CostDialog } from './CostDialog';
import { Controls } from './Controls';
import { ErrorPanel } from './ErrorPanel';
import { ExperimentSelects } from './ExperimentSelects';
import { ExplainPanel } from './ExplainPanel';
import { Header } from './Header';
import { HeatmapCards } from './CompareHeatmap';
import { ComparePanel } from './ComparePanel';
import { CompareSelect } from './CompareSelect';
import { ImportBanner } from './ImportBanner';
import { LossChart } from './LossChart';
import { ModelSection } from './ModelSection';
import { ModelViewPanel } from './ModelViewPanel';
import { ModuleDrilldown } from './ModuleDrilldown';
import { PanelBoundary } from './PanelBoundary';
import { ParamSliders } from './ParamSliders';
import { PresenterView } from './PresenterView';
import { PresetStory } from './PresetStory';
import { ReportPanel } from './ReportPanel';
import { ResumeBanner } from './ResumeBanner';
import { RunList } from './RunList';
import { SavedRuns } from './SavedRuns';
import { ScrubBar } from './ScrubBar';
import { ShareBar } from './ShareBar';
import { ShortcutSheet, useShortcuts } from './ShortcutSheet';
import { SoftwareNotice } from './SoftwareNotice';
import { Timeline } from './Timeline';

/**
 * A part of the page that `hide=` can hide, in its own error boundary: a render error in it
 * shows what failed there, and the rest of the page works on.
 */
function Part({ name, children }: { name: HideKey; children: ReactNode }) {
  const hidden = useLabStore((s) => s.page.hide.includes(name));
  return hidden ? null : <PanelBoundary name={name}>{children}</PanelBoundary>;
}

export function App() {
  const selected = useLabStore((s) => s.selectedModule);
  const present = useLabStore((s) => s.page.present);
  useShortcuts();
  if (present)
    return (
      <>
        <PanelBoundary name="presenter">
          <PresenterView />
        </PanelBoundary>
        <ShortcutSheet />
        <CostDialog />
      </>
    );
  return (
    <div className="app">
      <ShortcutSheet />
      <CostDialog />
      <Header />
      <ErrorPanel />
      <PanelBoundary name="import banner">
        <ImportBanner />
      </PanelBoundary>
      <PanelBoundary name="resume banner">
        <ResumeBanner />
      </PanelBoundary>
      <SoftwareNotice />
      <div className="layout">
        <aside className="sidebar" aria-labelledby="sidebar-title">
          {/* The panels' group titles are h3: the sidebar's own h2 keeps the outline h1 → h2 → h3. */}
          <h2 id="sidebar-title" className="visually-hidden">
            Controls
          </h2>
          <Part name="controls">
            <Controls />
          </Part>
          <Part name="sliders">
            <ParamSliders />
            <ChangeLog />
          </Part>
          <Part name="experiment">
            <ExperimentSelects />
            <CompareSelect />
          </Part>
          <Part name="model">
            <ModelSection />
          </Part>
          <Part name="share">
            <ShareBar />
          </Part>
          <Part name="saved">
            <SavedRuns />
          </Part>
        </aside>
        <main className="content">
          <PanelBoundary name="story">
            <PresetStory />
          </PanelBoundary>
          <Part name="compute">
            <ComputeCounter />
          </Part>
          <Part name="compare">
            <ComparePanel />
          </Part>
          <Part name="loss">
            <LossChart />
          </Part>
          <Part name="runs">
            <RunList />
          </Part>
          <Part name="report">
            <ReportPanel />
          </Part>
          <Part name="view">
            <ModelViewPanel />
          </Part>
          <Part name="scrub">
            <ScrubBar />
          </Part>
          <Part name="heatmap">
            <HeatmapCards />
          </Part>
          {selected !== null && (
            <PanelBoundary name="drill-down">
              <ModuleDrilldown />
            </PanelBoundary>
          )}
          <Part name="timeline">
            <Timeline />
          </Part>
          <Part name="explain">
            <ExplainPanel />
          </Part>
        </main>
      </div>
      <footer className="app-footer">
        MAT after Shi et al., “Train Faster, Perform Better: Modular Adaptive Training in
        Over-Parameterized Models” (NeurIPS 2023), as this lab reads it. Training runs in your
        browser with TensorFlow.js.
      </footer>
    </div>
  );
}
