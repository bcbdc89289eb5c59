import type { FlopPart } from '../core/flops';
import { formatFlops, formatPercent } from '../report/format';
import type { ComputePart, ComputeSplit } from '../store/selectors';

/** Words for each part of the split, and what it is (the row's tooltip). */
const PART_WORDS: Readonly<Record<FlopPart, { label: string; title: string }>> = {
  forward: { label: 'forward', title: 'The forward pass and the loss: paid whatever is frozen.' },
  inputGrad: {
    label: 'input gradients',
    title: 'Backward to the activations: paid down to the lowest updated layer.',
  },
  weightGrad: {
    label: 'weight gradients',
    title: 'Gradients of the updated parameters: a frozen module skips its own.',
  },
  optimizer: {
    label: 'optimizer (Adam)',
    title: 'Adam updates of the updated parameters: a frozen module skips its own.',
  },
  kernel: {
    label: 'mNTK evaluations',
    title: 'The probe kernels, their spectra and λmax: what the policy pays to decide.',
  },
};

/** FLOPs saved on a part (vanilla − run) and the saving in per cent of vanilla's. */
function Saved({ saved, saving }: Pick<ComputePart, 'saved' | 'saving'>) {
  const text =
    saved === 0
      ? formatFlops(0)
      : Number.isFinite(saving)
        ? `${formatFlops(saved)} (${formatPercent(saving)})`
        : `${formatFlops(saved)} (extra)`;
  return <td className={saved > 0 ? 'good' : saved < 0 ? 'bad' : ''}>{text}</td>;
}

/**
 * The run's cumulative FLOPs by part next to vanilla's at the same step: two stacked bars on
 * one scale, and a table with the saving per part. Raw numbers are in `data-run` and
 * `data-vanilla`, so a test can check that the parts sum to the totals shown.
 */
export function ComputeSplitView({ split, policy }: { split: ComputeSplit; policy: string }) {
  const scale = Math.max(split.run, split.vanilla);
  const width = (x: number) => (scale > 0 ? `${(100 * x) / scale}%` : '0%');
  const bars = [
    { key: 'run', label: policy, total: split.run },
    { key: 'vanilla', label: 'vanilla', total: split.vanilla },
  ] as const;
  return (
    <div className="flop-split" data-testid="compute.split">
      <div className="flop-bars" aria-hidden="true">
        {bars.map((b) => (
          <div className="flop-bar-row" key={b.key}>
            <span className="flop-bar-label">{b.label}</span>
            <div className="flop-bar">
              {split.parts.map((p) => (
                <span
                  key={p.part}
                  className={`flop-seg flop-${p.part}`}
                  style={{ width: width(p[b.key]) }}
                  title={`${PART_WORDS[p.part].label}: ${formatFlops(p[b.key])}`}
                />
              ))}
            </div>
            <span className="flop-bar-total">{formatFlops(b.total)}</span>
          </div>
        ))}
      </div>
      <table className="module-table flop-table">
        <thead>
          <tr>
            <th scope="col">part</th>
            <th scope="col">{policy} (charged)</th>
            <th scope="col">vanilla, same steps</th>
            <th scope="col">saved</th>
          </tr>
        </thead>
        <tbody>
          {split.parts.map((p) => (
            <tr
              key={p.part}
              data-testid={`compute.split.${p.part}`}
              data-run={p.run}
              data-vanilla={p.vanilla}
              title={PART_WORDS[p.part].title}
            >
              <th scope="row">
                <span className={`flop-swatch flop-${p.part}`} aria-hidden="true" />
                {PART_WORDS[p.part].label}
              </th>
              <td>{formatFlops(p.run)}</td>
              <td>{formatFlops(p.vanilla)}</td>
              <Saved saved={p.saved} saving={p.saving} />
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-testid="compute.split.total" data-run={split.run} data-vanilla={split.vanilla}>
            <th scope="row">total</th>
            <td>{formatFlops(split.run)}</td>
            <td>{formatFlops(split.vanilla)}</td>
            <Saved
              saved={split.vanilla - split.run}
              saving={split.vanilla > 0 ? (split.vanilla - split.run) / split.vanilla : NaN}
            />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
