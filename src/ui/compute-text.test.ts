import { describe, expect, it } from 'vitest';
import { savingStat } from './compute-text';

describe('the compute card’s saving stat', () => {
  it('shows an overspend with a + under the formula it is, never under 1 − charged / vanilla', () => {
    // charged = 5.47 × vanilla: saving = 1 − 5.47 = −4.47.
    const over = savingStat(1 - 5.47);
    expect(over.label).toBe('overspend vs vanilla');
    expect(over.value).toBe('+447.0 %');
    expect(over.caption).toMatch(/^charged \/ vanilla FLOPs − 1/);
    expect(over.tone).toBe('bad');
  });

  it('shows a saving as 1 − charged / vanilla', () => {
    expect(savingStat(0.25)).toEqual({
      label: 'saving vs vanilla',
      value: '25.0 %',
      caption: '1 − charged / vanilla FLOPs',
      tone: 'good',
    });
    expect(savingStat(0).tone).toBe('');
    expect(savingStat(NaN).value).toBe('—');
  });
});
