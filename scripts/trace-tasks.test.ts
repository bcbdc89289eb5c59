import { describe, expect, it } from 'vitest';
import { mainThreadTasks, markTime, traceEvents } from './trace-tasks';

const RENDERER = 10;
const OTHER = 20;
const meta = (pid: number, tid: number, name: string) => ({
  ph: 'M',
  name: 'thread_name',
  pid,
  tid,
  args: { name },
});
const task = (pid: number, tid: number, ts: number, wallMs: number, cpuMs: number) => ({
  ph: 'X',
  name: 'ThreadControllerImpl::RunTask',
  pid,
  tid,
  ts,
  dur: wallMs * 1000,
  tdur: cpuMs * 1000,
});

/** A page's renderer (main 1, compositor 2, worker 3, thread pool 4) and a spare renderer. */
const EVENTS = [
  meta(RENDERER, 1, 'CrRendererMain'),
  meta(RENDERER, 2, 'Compositor'),
  meta(RENDERER, 3, 'DedicatedWorker thread'),
  meta(RENDERER, 4, 'ThreadPoolForegroundWorker'),
  meta(OTHER, 1, 'CrRendererMain'),
  // The page: a task long in wall time only (descheduled), one long in CPU too, two short.
  task(RENDERER, 1, 1_000, 80, 30),
  task(RENDERER, 1, 200_000, 60, 55),
  task(RENDERER, 1, 300_000, 10, 9),
  task(RENDERER, 1, 400_000, 5, 5),
  // Outside the window.
  task(RENDERER, 1, 900_000, 200, 200),
  task(RENDERER, 2, 2_000, 3, 2),
  task(RENDERER, 3, 3_000, 40, 38),
  {
    ph: 'X',
    name: 'ThreadPool_RunTask',
    pid: RENDERER,
    tid: 4,
    ts: 5_000,
    dur: 9000,
    tdur: 7000,
  },
  // Another renderer's main thread, fewer tasks: not the page's.
  task(OTHER, 1, 10_000, 500, 500),
];

describe('mainThreadTasks', () => {
  it('counts the page’s long tasks by wall time and by CPU time, in the window', () => {
    const f = mainThreadTasks(EVENTS, 0, 500_000);
    expect(f.tasks).toBe(4);
    expect(f.longByWall).toBe(2);
    expect(f.longByCpu).toBe(1);
    expect(f.longestCpuMs).toBe(55);
    expect(f.longestWallMs).toBe(80);
    // (30 + 55) / (80 + 60)
    expect(f.longCpuShare).toBeCloseTo(0.61, 2);
    expect(f.cpuMs).toEqual({ main: 99, compositor: 2, workers: 38, threadPool: 7 });
  });

  it('takes every task without a window, and reads a trace file’s text', () => {
    const f = mainThreadTasks(traceEvents(JSON.stringify({ traceEvents: EVENTS })));
    expect(f.tasks).toBe(5);
    expect(f.longByCpu).toBe(2);
    expect(f.longestWallMs).toBe(200);
  });

  it('finds the window between two marks the page made', () => {
    const marks = [
      { ph: 'I', name: 'start', cat: 'blink.user_timing', pid: RENDERER, tid: 1, ts: 150_000 },
      { ph: 'I', name: 'end', cat: 'blink.user_timing', pid: RENDERER, tid: 1, ts: 350_000 },
    ];
    const events = [...EVENTS, ...marks];
    const f = mainThreadTasks(events, markTime(events, 'start'), markTime(events, 'end'));
    expect(f.tasks).toBe(2);
    expect(f.longByWall).toBe(1);
    expect(f.longestCpuMs).toBe(55);
    expect(() => markTime(EVENTS, 'start')).toThrow(/no mark "start"/);
  });

  it('says what is wrong with a file that is not a trace, or a trace without the page', () => {
    expect(() => traceEvents('{"events": []}')).toThrow(/no traceEvents/);
    expect(() => mainThreadTasks([meta(RENDERER, 2, 'Compositor')])).toThrow(
      /no renderer main-thread tasks/,
    );
  });
});
