import { useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { TermName } from './terms';
import { EXPLAIN_ID, TERMS } from './terms';
import { useTopLayer } from './top-layer';

/**
 * A term with its explanation one press away: the text, then a small "?" button (a real button,
 * so keyboard and touch reach it) that shows a short explanation with a link to "How MAT
 * decides". The explanation is also the button's description (`aria-describedby`), so a screen
 * reader reads it on focus; Escape or leaving the term closes it. The open explanation is shown
 * in the top layer (a popover placed under the term, inside the window), so the card it is in
 * does not clip it.
 */
export function Term({ term, children }: { term: TermName; children: ReactNode }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const { name, text } = TERMS[term];
  const termRef = useRef<HTMLSpanElement>(null);
  const tipRef = useRef<HTMLSpanElement>(null);
  // Its anchor depends on nothing but the term's box (layout): no inputs.
  useTopLayer(
    tipRef,
    open,
    () => {
      const r = termRef.current?.getBoundingClientRect();
      return r ? { x: r.left, y: r.bottom + 6, flipY: r.top, gap: 6 } : null;
    },
    [],
  );
  return (
    <span
      ref={termRef}
      className="term"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
        }
      }}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOpen(false);
      }}
    >
      {children}
      <button
        type="button"
        className="term-button"
        aria-label={`What is ${name}?`}
        aria-expanded={open}
        aria-describedby={`${id}-tip`}
        data-testid={`term.${term}`}
        onClick={() => setOpen((o) => !o)}
      >
        ?
      </button>
      <span
        ref={tipRef}
        id={`${id}-tip`}
        className="term-tip"
        popover="manual"
        hidden={!open}
        data-testid={`term.${term}.tip`}
      >
        <strong>{name}</strong>: {text}{' '}
        <a href={`#${EXPLAIN_ID}`} onClick={() => setOpen(false)}>
          How MAT decides
        </a>
      </span>
    </span>
  );
}
