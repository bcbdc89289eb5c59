import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, ExperimentSchema, MLP_MAX_LAYERS, MLP_MAX_WIDTH } from './config';
import { parseExperimentParams } from './url';

const withHidden = (hidden: string) =>
  ExperimentSchema.safeParse({ ...DEFAULT_CONFIG, model: 'mlp', data: 'spiral', hidden }).success;

describe('the schema caps what a tab can run', () => {
  it('MLP: 1 to 6 layers of 1 to 32 neurons', () => {
    expect([MLP_MAX_LAYERS, MLP_MAX_WIDTH]).toEqual([6, 32]);
    for (const ok of ['8,8', '1', '32', '32,32,32,32,32,32', '10,20,30'])
      expect(withHidden(ok), ok).toBe(true);
    // The configurations (a 999-wide layer crashed the renderer), a width over 32, a
    // seventh layer, an empty layer, a leading zero.
    for (const bad of ['999,999,999,999,999,999', '999,999', '33', '8,64', '1,1,1,1,1,1,1', '0'])
      expect(withHidden(bad), bad).toBe(false);
    expect(withHidden('08')).toBe(false);
  });

  it("a link beyond the caps says what the lab runs and uses the preset's widths", () => {
    const r = parseExperimentParams([
      ['preset', 'mlp-circles'],
      ['hidden', '999,999,999,999,999,999'],
      ['points', '5000'],
    ]);
    expect(r.config.hidden).toBe('6');
    expect(r.config.points).toBe(5000);
    const message = r.errors.find((e) => e.field === 'hidden')?.message;
    expect(message).toContain('1 to 6 layers of 1 to 32 neurons');
    expect(message).toContain("using the mlp-circles preset's 6.");
  });
});
