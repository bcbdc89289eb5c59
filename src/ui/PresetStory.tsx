import { presetStatus } from '../store/preset-state';
import { useLabFields } from '../store/store';

/**
 * The preset's "what to watch for" paragraph, above the charts; when the run was changed since,
 * a line says in which fields (the story may not hold for them). Nothing for a custom run.
 */
export function PresetStory() {
  const s = useLabFields('runConfig', 'passThrough', 'view');
  // An imported run is not the link's: it is whichever preset its own config is, if any.
  const { preset, differs } = presetStatus(s.runConfig, s.view === 'imported' ? [] : s.passThrough);
  if (!preset) return null;
  return (
    <section className="preset-story" data-testid="preset.story" aria-labelledby="story-title">
      <h2 id="story-title">
        What to watch for: <span className="story-label">{preset.label}</span>
      </h2>
      <p>{preset.explanation}</p>
      {differs.length > 0 && (
        <p className="note" data-testid="preset.story.changed">
          This run differs from the {preset.id} preset in {differs.join(', ')}, so not all of this
          may hold.
        </p>
      )}
    </section>
  );
}
