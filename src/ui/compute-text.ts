/** The compute card's saving stat in words, with a caption whose formula matches the sign shown. */
import { formatPercent } from '../report/format';

export interface SavingStat {
  label: string;
  /** The number as shown: a saving unsigned, an overspend with a leading +. */
  value: string;
  /** The formula the value is, in words. */
  caption: string;
  tone: 'good' | 'bad' | '';
}

/**
 * `saving` = 1 − charged / vanilla. A saving (≥ 0) is shown as that fraction under the caption
 * "1 − charged / vanilla FLOPs"; an overspend (< 0) as +(charged / vanilla − 1) under that
 * formula, so the number always is what its caption says: 5.47× vanilla reads "+447.0 %" under
 * "charged / vanilla FLOPs − 1", never under "1 − charged / vanilla".
 */
export function savingStat(saving: number): SavingStat {
  if (!Number.isFinite(saving)) {
    return {
      label: 'saving vs vanilla',
      value: formatPercent(NaN),
      caption: '1 − charged / vanilla FLOPs',
      tone: '',
    };
  }
  if (saving < 0) {
    return {
      label: 'overspend vs vanilla',
      value: `+${formatPercent(-saving)}`,
      caption: 'charged / vanilla FLOPs − 1: the policy spent more than vanilla',
      tone: 'bad',
    };
  }
  return {
    label: 'saving vs vanilla',
    value: formatPercent(saving),
    caption: '1 − charged / vanilla FLOPs',
    tone: saving > 0 ? 'good' : '',
  };
}
