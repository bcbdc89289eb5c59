import { useLabStore } from '../store/store';
import { ComputeCounter } from './ComputeCounter';
import { Controls } from './Controls';
import { ErrorPanel } from './ErrorPanel';
import { ExperimentSelects } from './ExperimentSelects';
import { ExplainPanel } from './ExplainPanel';
import { Header } from './Header';
import { Heatmap } from './Heatmap';
import { ImportBanner } from './ImportBanner';
import { LossChart } from './LossChart';
import { ModelSection } from './ModelSection';
import { ModelViewPanel } from './ModelViewPanel';
import { ModuleDrilldown } from './ModuleDrilldown';
import { ParamSliders } from './ParamSliders';
import { ReportPanel } from './ReportPanel';
import { ShareBar } from './ShareBar';
import { Timeline } from './Timeline';

export function App() {
  const selected = useLabStore((s) => s.selectedModule);
  return (
    <div className="app">
      <Header />
      <ErrorPanel />
      <ImportBanner />
      <div className="layout">
        <aside className="sidebar" aria-label="Controls">
          <Controls />
          <ParamSliders />
          <ExperimentSelects />
          <ModelSection />
          <ShareBar />
        </aside>
        <main className="content">
          <ComputeCounter />
          <LossChart />
          <ReportPanel />
          <ModelViewPanel />
          <Heatmap />
          {selected !== null && <ModuleDrilldown />}
          <Timeline />
          <ExplainPanel />
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
