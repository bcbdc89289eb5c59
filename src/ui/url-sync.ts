/**
 * Keeps the address bar equal to the live run's shareable link (config + logged events): the
 * plain query, or the compressed fragment when the query would be long (`shareableLink`). An
 * in-page anchor (`#how-mat-decides`) stays beside a plain query; a compressed link lives in the
 * fragment, so it is written back when following an anchor replaced it.
 */
import { useLabStore } from '../store/store';
import type { LabState } from '../store/store';
import type { ShareLink } from '../store/url-state';
import {
  isParamFragment,
  isPlainLink,
  linkOfSearch,
  shareableConfig,
  shareableSearch,
} from '../store/url-state';

/**
 * Compressing a long link takes up to ≈ 50 ms (10,000 events), so while the run changes (slider
 * moves, overrides) a long link is written at most this often.
 */
const LONG_LINK_DELAY_MS = 300;

/** The live run's link in its plain form (`?…`, whatever its length). */
function plainSearch(s: LabState): string {
  return shareableSearch(shareableConfig(s.runConfig, s.events), s.passThrough, s.page);
}

/** The address (path, link, and an anchor beside a plain link) of `link` on this page. */
function addressOf(link: ShareLink): string {
  const anchor = link.hash === '' && !isParamFragment(location.hash) ? location.hash : '';
  return `${location.pathname}${link.search}${link.hash || anchor}`;
}

/** The live run's link as an absolute URL: what Copy link copies (not `location.href`). */
export function shareUrl(s: LabState = useLabStore.getState()): string {
  return `${location.origin}${addressOf(linkOfSearch(plainSearch(s)))}`;
}

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
  let lastSearch: string | null = null;
  let link: ShareLink | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const writeLink = (next: ShareLink) => {
    link = next;
    const address = addressOf(next);
    if (address !== `${location.pathname}${location.search}${location.hash}`)
      history.replaceState(history.state, '', address);
  };
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
    const search = plainSearch(s);
    if (search === lastSearch) return;
    lastSearch = search;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (isPlainLink(search)) writeLink({ search, hash: '' });
    else
      timer = setTimeout(() => {
        timer = null;
        writeLink(linkOfSearch(search));
      }, LONG_LINK_DELAY_MS);
  };
  // Following an anchor replaces the fragment, and with it a compressed link: write it back.
  const onHash = () => {
    if (link && link.hash !== '' && location.hash !== link.hash) writeLink(link);
  };
  write(useLabStore.getState());
  const unsubscribe = useLabStore.subscribe(write);
  window.addEventListener('hashchange', onHash);
  return () => {
    unsubscribe();
    window.removeEventListener('hashchange', onHash);
    if (timer !== null) clearTimeout(timer);
  };
}
