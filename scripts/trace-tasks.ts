/**
 * The page's main-thread tasks from a Chrome trace, by wall time and by CPU time.
 *
 * A long task (> 50 ms) as the browser reports it is wall time: on a machine whose cores are
 * shared (the training worker, the compositor, software raster), a task that needs 30 ms of
 * CPU can take 80 ms because its thread was not running for 50 of them. The trace's `toplevel`
 * category records each task of each thread with both: `dur` (wall, µs) and `tdur` (the
 * thread's CPU time, µs). Counting tasks over 50 ms of CPU separates the page's own work from
 * the machine's contention; the other threads' CPU says what contended.
 *
 * Used by `e2e/long-tasks.spec.ts` (trace recorded with `browser.startTracing(page,
 * { categories: ['toplevel', 'blink.user_timing'] })`, the window between two
 * `performance.mark`s).
 */

/** One event of Chrome's trace event format (the fields read here). */
interface TraceEvent {
  name?: string;
  ph?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

export interface MainThreadTasks {
  /** Tasks on the page's main thread in the window. */
  tasks: number;
  /** Of those, over the long-task limit in wall time (what PerformanceObserver counts). */
  longByWall: number;
  /** Of those, over the limit in the main thread's own CPU time. */
  longByCpu: number;
  /** The longest task's CPU time and the longest wall time (ms). */
  longestCpuMs: number;
  longestWallMs: number;
  /** The long-by-wall tasks' CPU time as a share of their wall time (1: never descheduled). */
  longCpuShare: number;
  /**
   * CPU time (ms) in the window of the main thread and, in the same renderer process, of its
   * compositor thread, its dedicated workers (the training worker) and its thread pool (raster,
   * and V8's background work: optimising compilers, garbage collection).
   */
  cpuMs: { main: number; compositor: number; workers: number; threadPool: number };
}

/** A task over this many ms is long (the Long Tasks API's definition). */
export const LONG_TASK_MS = 50;

const TASK = 'ThreadControllerImpl::RunTask';
const POOL_TASK = 'ThreadPool_RunTask';

/** The trace's events, from a trace file's text (an object with `traceEvents`, or an array). */
export function traceEvents(text: string): TraceEvent[] {
  const parsed = JSON.parse(text) as unknown;
  const events = Array.isArray(parsed) ? parsed : (parsed as { traceEvents?: unknown }).traceEvents;
  if (!Array.isArray(events)) throw new Error('not a Chrome trace: no traceEvents array');
  return events as TraceEvent[];
}

/**
 * The trace time (µs) of the `performance.mark(name)` the page made (category
 * `blink.user_timing`); throws if the trace has none, since a window would then be silently wrong.
 */
export function markTime(events: readonly TraceEvent[], name: string): number {
  const mark = events.find((e) => e.name === name && e.ts !== undefined);
  if (!mark) throw new Error(`the trace has no mark "${name}" (blink.user_timing not traced?)`);
  return mark.ts!;
}

/**
 * Main-thread task figures of the renderer whose main thread ran the most tasks (the page's, in
 * a trace of one page), over the tasks that started in `[from, to]` µs of the trace clock (all
 * when omitted).
 */
export function mainThreadTasks(
  events: readonly TraceEvent[],
  from = -Infinity,
  to = Infinity,
): MainThreadTasks {
  const threadName = new Map<string, string>();
  for (const e of events)
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name)
      threadName.set(`${e.pid}:${e.tid}`, e.args.name);
  const inWindow = (e: TraceEvent) =>
    e.ph === 'X' && e.ts !== undefined && e.ts >= from && e.ts <= to;
  const perMain = new Map<string, number>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.name === TASK && inWindow(e) && threadName.get(key) === 'CrRendererMain')
      perMain.set(key, (perMain.get(key) ?? 0) + 1);
  }
  const main = [...perMain].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (main === undefined) throw new Error('the trace has no renderer main-thread tasks');
  const pid = Number(main.split(':')[0]);
  const cpuMs = { main: 0, compositor: 0, workers: 0, threadPool: 0 };
  let tasks = 0;
  let longByWall = 0;
  let longByCpu = 0;
  let longestCpu = 0;
  let longestWall = 0;
  let longWall = 0;
  let longCpu = 0;
  const limit = LONG_TASK_MS * 1000;
  for (const e of events) {
    if (e.pid !== pid || !inWindow(e)) continue;
    const name = threadName.get(`${e.pid}:${e.tid}`);
    const cpu = e.tdur ?? 0;
    if (e.name === POOL_TASK) {
      cpuMs.threadPool += cpu;
      continue;
    }
    if (e.name !== TASK) continue;
    if (name === 'Compositor') cpuMs.compositor += cpu;
    else if (name === 'DedicatedWorker thread') cpuMs.workers += cpu;
    if (`${e.pid}:${e.tid}` !== main) continue;
    const wall = e.dur ?? 0;
    tasks += 1;
    cpuMs.main += cpu;
    longestCpu = Math.max(longestCpu, cpu);
    longestWall = Math.max(longestWall, wall);
    if (cpu > limit) longByCpu += 1;
    if (wall > limit) {
      longByWall += 1;
      longWall += wall;
      longCpu += cpu;
    }
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    tasks,
    longByWall,
    longByCpu,
    longestCpuMs: ms(longestCpu),
    longestWallMs: ms(longestWall),
    longCpuShare: longWall > 0 ? Math.round((longCpu / longWall) * 100) / 100 : 1,
    cpuMs: {
      main: Math.round(cpuMs.main / 1000),
      compositor: Math.round(cpuMs.compositor / 1000),
      workers: Math.round(cpuMs.workers / 1000),
      threadPool: Math.round(cpuMs.threadPool / 1000),
    },
  };
}
