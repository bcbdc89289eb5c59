import type { RefObject } from 'react';
import { lambdaCsv } from '../export/csv';
import { useLabStore } from '../store/store';
import { downloadBlob, downloadText, exportFileName } from './download';
import { ExportButtons } from './ExportButtons';
import type { GridInk } from './grid-draw';
import type { GridPicture, LegendDrawer } from './grid-picture';
import { gridPng, gridSvg } from './grid-picture';

/** The store's run on screen: seed and step for file names. */
function runTag(): { seed: number; step: number } {
  const s = useLabStore.getState();
  return { seed: s.runConfig.seed, step: s.step };
}

/** Downloads the run's λmax history and decisions (`lambdaCsv`). */
function downloadLambdaCsv(): void {
  const s = useLabStore.getState();
  const { seed, step } = runTag();
  downloadText(
    exportFileName('lambda', seed, step, 'csv'),
    lambdaCsv({ modules: s.modules, evaluations: s.evaluations }),
    'text/csv',
  );
}

/**
 * A grid panel's export buttons: λmax history and decisions as CSV, the grid as drawn (with
 * `legend` under it) as PNG and SVG. `what` names the files (`heatmap`, `timeline`) and `title`
 * the buttons ("the λmax heatmap"); `pictureRef` is what the grid was last drawn from.
 */
export function GridExports(props: {
  what: string;
  title: string;
  pictureRef: RefObject<GridPicture | null>;
  background: string;
  legend: (ink: GridInk) => LegendDrawer;
  hasData: boolean;
}) {
  const { what, title, pictureRef, background, legend, hasData } = props;
  const picture = () => {
    const p = pictureRef.current;
    if (!p) throw new Error('the grid has not been drawn yet');
    return p;
  };
  return (
    <ExportButtons
      label={`Export ${title}`}
      items={[
        {
          label: 'CSV',
          name: 'Download the λmax history and decisions as CSV',
          testId: `export.${what}.csv`,
          run: downloadLambdaCsv,
          disabled: !hasData,
        },
        {
          label: 'PNG',
          name: `Download ${title} as PNG`,
          testId: `export.${what}.png`,
          run: async () => {
            const p = picture();
            const { seed, step } = runTag();
            const blob = await gridPng(p, { background, legend: legend(p.ink) });
            downloadBlob(exportFileName(what, seed, step, 'png'), blob);
          },
          disabled: !hasData,
        },
        {
          label: 'SVG',
          name: `Download ${title} as SVG`,
          testId: `export.${what}.svg`,
          run: () => {
            const p = picture();
            const { seed, step } = runTag();
            const svg = gridSvg(p, {
              title: `MAT Lab: ${title}, seed ${seed}, step ${step}`,
              background,
              legend: legend(p.ink),
            });
            downloadText(exportFileName(what, seed, step, 'svg'), svg, 'image/svg+xml');
          },
          disabled: !hasData,
        },
      ]}
    />
  );
}
