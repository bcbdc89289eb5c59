import { useEffect, useRef, useState } from 'react';
import type { LiveParam } from '../core/config';
import { setLiveParam } from '../store/actions';
import { useLabStore } from '../store/store';
import { formatValue } from '../report/format';

interface Props {
  name: LiveParam;
  label: string;
  min: number;
  max: number;
  step: number;
  help: string;
  disabled: boolean;
}

const onGrid = (v: number, min: number, step: number) =>
  Math.abs((v - min) / step - Math.round((v - min) / step)) < 1e-9;

/**
 * A live parameter. The value follows the thumb while dragging and is sent to the trainer when
 * the drag ends (the native `change` event), so one drag logs one change, not one per pixel.
 * It shows the value in force in the trainer (replayed link events included), or the value sent
 * and still waiting for the next evaluation, with a hint saying so.
 */
export function ParamSlider({ name, label, min, max, step, help, disabled }: Props) {
  const live = useLabStore((s) => s.live[name]);
  const pending = useLabStore((s) => s.pendingParams[name]);
  const value = pending ?? live;
  const [drag, setDrag] = useState<number | null>(null);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const input = ref.current;
    if (!input) return;
    const commit = () => {
      setDrag(null);
      const v = Number(input.value);
      if (Number.isFinite(v)) setLiveParam(name, v);
    };
    input.addEventListener('change', commit);
    return () => input.removeEventListener('change', commit);
  }, [name]);
  const shown = drag ?? value;
  // A value from a link may lie off the slider's grid or above its usual range: show it exactly.
  const exact = onGrid(value, min, step);
  const id = `slider-${name}`;
  return (
    <div className="slider">
      <label htmlFor={id}>
        <span className="slider-name">{label}</span>
        <output htmlFor={id} className="slider-value">
          {formatValue(shown)}
        </output>
      </label>
      <input
        id={id}
        ref={ref}
        type="range"
        data-testid={`slider.${name}`}
        min={min}
        max={Math.max(max, value)}
        step={exact ? step : 'any'}
        value={shown}
        disabled={disabled}
        onChange={(e) => setDrag(Number(e.target.value))}
        aria-describedby={`${id}-help`}
      />
      <p id={`${id}-help`} className="hint">
        {help}
        {pending !== undefined && (
          <span className="pending">
            {' '}
            In force: {formatValue(live)}; {formatValue(value)} applies at the next evaluation.
          </span>
        )}
      </p>
    </div>
  );
}
