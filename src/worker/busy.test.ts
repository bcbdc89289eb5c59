import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../core/config';
import { Session } from '../core/session';
import { nodeDeps } from '../node/deps';
import type { FromWorker } from '../protocol/messages';
import { BUSY_AFTER_MS, PROTOCOL_VERSION } from '../protocol/messages';
import { createHandler } from './handler';
import { TINY_BERT_CPU } from '../core/testing/session';

const tiny: ExperimentConfig = { ...TINY_BERT_CPU, valEvery: 100 };

/** A session whose steps take `ms` longer: a large model on a slow adapter. */
class SlowSession extends Session {
  static ms = 0;
  override async advance(): ReturnType<Session['advance']> {
    await new Promise((r) => setTimeout(r, SlowSession.ms));
    return super.advance();
  }
}

describe('a long step is reported while it runs', () => {
  it('posts busy twice a second after the first second, and a status when the step ends', async () => {
    const msgs: FromWorker[] = [];
    const handle = createHandler((m) => msgs.push(m), {
      ...nodeDeps,
      createSession: (c, d) => new SlowSession(c, d),
    });
    SlowSession.ms = 0;
    await handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    const ready = msgs.find((m) => m.type === 'ready');
    expect(ready?.type === 'ready' && ready.evaluationFlops).toBeGreaterThan(0);
    // A fast step: no busy message.
    await handle({ type: 'step', count: 1 });
    const done = (step: number) =>
      msgs.some((m) => m.type === 'status' && !m.running && m.step === step);
    while (!done(1)) await new Promise((r) => setTimeout(r, 5));
    expect(msgs.some((m) => m.type === 'busy')).toBe(false);

    SlowSession.ms = 2200;
    const from = msgs.length;
    await handle({ type: 'step', count: 1 });
    while (!done(2)) await new Promise((r) => setTimeout(r, 5));
    const after = msgs.slice(from);
    const busy = after.flatMap((m) => (m.type === 'busy' ? [m.busy] : []));
    expect(busy.length).toBeGreaterThanOrEqual(2);
    for (const b of busy) {
      expect(b.step).toBe(1);
      expect(b.ms).toBeGreaterThanOrEqual(BUSY_AFTER_MS);
      // The cpu backend compiles no shaders.
      expect(b.kernels).toBeNull();
      expect(b.newKernels).toBe(0);
    }
    expect(busy.at(-1)!.ms).toBeGreaterThan(busy[0]!.ms);
    // Nothing busy after the status that ends the step.
    const end = after.findIndex((m) => m.type === 'status' && m.step === 2);
    expect(after.slice(end).some((m) => m.type === 'busy')).toBe(false);
    await new Promise((r) => setTimeout(r, 700));
    expect(msgs.slice(from + end).some((m) => m.type === 'busy')).toBe(false);
  });
});
