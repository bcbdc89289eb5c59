/** Keeps the address bar equal to the live run's shareable link (config + logged events). */
import { useLabStore } from '../store/store';
import type { LabState } from '../store/store';
import { shareableConfig, shareableSearch } from '../store/url-state';

export function startUrlSync(): () => void {
  let seen:
    | [
        LabState['runConfig'],
        LabState['events'],
        LabState['passThrough'],
        LabState['view'],
        LabState['page'],
      ]
    | null = null;
  let lastSearch = location.search;
  const write = (s: LabState) => {
    if (
      seen &&
      seen[0] === s.runConfig &&
      seen[1] === s.events &&
      seen[2] === s.passThrough &&
      seen[3] === s.view &&
      seen[4] === s.page
    )
      return;
    seen = [s.runConfig, s.events, s.passThrough, s.view, s.page];
    // An imported run is not the live one: the link keeps describing the live run.
    if (s.view !== 'live') return;
    const search = shareableSearch(shareableConfig(s.runConfig, s.events), s.passThrough, s.page);
    if (search === lastSearch) return;
    lastSearch = search;
    history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
  };
  write(useLabStore.getState());
  return useLabStore.subscribe(write);
}
