import { useRef } from 'react';
import type { MouseEvent as ReactMouseEvent, RefObject } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { pause, play, reset, stepOnce } from '../store/actions';
import { isTraining } from '../store/compare';
import { useLabStore } from '../store/store';

/**
 * A button that stays focusable while it cannot act (`aria-disabled`, not `disabled`): pressing
 * Play must not drop the keyboard focus to the page when Play turns off.
 */
function RunButton(props: {
  testId: string;
  off: boolean;
  onPress: () => void;
  label: string;
  title?: string;
  primary?: boolean;
  buttonRef?: RefObject<HTMLButtonElement | null>;
}) {
  const { testId, off, onPress, label, title, primary, buttonRef } = props;
  return (
    <button
      ref={buttonRef}
      type="button"
      className={primary ? 'primary' : undefined}
      data-testid={testId}
      aria-disabled={off}
      title={title}
      onClick={(e: ReactMouseEvent) => {
        if (off) {
          e.preventDefault();
          return;
        }
        onPress();
      }}
    >
      {label}
    </button>
  );
}

/**
 * Play / pause / one step / reset. After Play the focus moves to Pause and after Pause back to
 * Play, so Enter or Space toggles; the page's shortcuts (space or k, ., r) are in ShortcutSheet.
 */
export function Controls({ compact = false }: { compact?: boolean }) {
  const s = useLabStore(
    useShallow((st) => ({ running: isTraining(st), phase: st.phase, view: st.view })),
  );
  const playRef = useRef<HTMLButtonElement>(null);
  const pauseRef = useRef<HTMLButtonElement>(null);
  const canTrain = s.view === 'live' && s.phase === 'ready';
  return (
    <div className="controls" role="group" aria-label="Run controls">
      <RunButton
        testId="controls.play"
        primary
        off={!canTrain || s.running}
        buttonRef={playRef}
        onPress={() => {
          play();
          pauseRef.current?.focus();
        }}
        label="▶ Play"
      />
      <RunButton
        testId="controls.pause"
        off={!s.running}
        buttonRef={pauseRef}
        onPress={() => {
          pause();
          playRef.current?.focus();
        }}
        label="❚❚ Pause"
      />
      {!compact && (
        <>
          <RunButton
            testId="controls.step"
            off={!canTrain || s.running}
            onPress={stepOnce}
            title="Train one step"
            label="Step +1"
          />
          <button
            type="button"
            data-testid="controls.reset"
            onClick={reset}
            title="Restart from step 0 with the settings shown (α and β as the sliders show them; the change log starts empty). Charts are cleared."
          >
            ↺ Reset
          </button>
        </>
      )}
    </div>
  );
}
