// The contracts list's state lives in the URL (`/contracts?network=testnet&tag=token&after=…`),
// so a link reproduces the view and the back button undoes a change. Unknown or malformed
// parameters are ignored rather than sent to the API.
import type {
  ContractFilter,
  ContractKind,
  ContractOrder,
  Network,
  VerificationStatus,
} from '../gql/graphql';
import { networkSlug, parseNetwork } from './network';

export const PAGE_SIZE = 20;

export const ORDERS: readonly { value: ContractOrder; label: string }[] = [
  { value: 'NEWEST', label: 'Newest first' },
  { value: 'OLDEST', label: 'Oldest first' },
  { value: 'NAME', label: 'Name' },
  { value: 'MOST_INVOKED_1D', label: 'Most invoked today' },
  { value: 'MOST_INVOKED_7D', label: 'Most invoked, 7 days' },
  { value: 'MOST_INVOKED_30D', label: 'Most invoked, 30 days' },
  { value: 'RELEVANCE', label: 'Best match' },
];
export const KINDS: readonly ContractKind[] = ['WASM', 'STELLAR_ASSET'];
export const VERIFICATIONS: readonly VerificationStatus[] = [
  'VERIFIED',
  'PENDING',
  'UNVERIFIED',
  'FAILED',
];

export interface ListState {
  network: Network | null;
  q: string;
  tag: string;
  kind: ContractKind | null;
  verification: VerificationStatus | null;
  fn: string;
  order: ContractOrder;
  after: string | null;
  before: string | null;
}

function oneOf<T extends string>(values: readonly T[], raw: string | null): T | null {
  return raw !== null && (values as readonly string[]).includes(raw) ? (raw as T) : null;
}

/** The list state a URL's query string describes. */
export function parseListState(params: URLSearchParams): ListState {
  const q = (params.get('q') ?? '').trim();
  const order = oneOf(
    ORDERS.map((o) => o.value),
    params.get('order'),
  );
  return {
    network: parseNetwork(params.get('network')),
    q,
    tag: (params.get('tag') ?? '').trim(),
    kind: oneOf(KINDS, params.get('kind')),
    verification: oneOf(VERIFICATIONS, params.get('verification')),
    fn: (params.get('fn') ?? '').trim(),
    // Relevance needs words to rank by.
    order: order && (order !== 'RELEVANCE' || q) ? order : q ? 'RELEVANCE' : 'NEWEST',
    after: params.get('after') || null,
    before: params.get('after') ? null : params.get('before') || null,
  };
}

/** The query string for `state`; defaults are left out so URLs stay short. */
export function listStateToParams(state: ListState): URLSearchParams {
  const p = new URLSearchParams();
  if (state.network) p.set('network', networkSlug(state.network));
  if (state.q) p.set('q', state.q);
  if (state.tag) p.set('tag', state.tag);
  if (state.kind) p.set('kind', state.kind);
  if (state.verification) p.set('verification', state.verification);
  if (state.fn) p.set('fn', state.fn);
  const defaultOrder = state.q ? 'RELEVANCE' : 'NEWEST';
  if (state.order !== defaultOrder) p.set('order', state.order);
  if (state.after) p.set('after', state.after);
  else if (state.before) p.set('before', state.before);
  return p;
}

/** A change of filters starts again from the first page. */
export function withFilters(state: ListState, change: Partial<ListState>): ListState {
  return { ...state, ...change, after: null, before: null };
}

/** The API's filter for `state`. */
export function toFilter(state: ListState): ContractFilter {
  const f: ContractFilter = {};
  if (state.network) f.network = state.network;
  if (state.q) f.search = state.q;
  if (state.tag) f.tag = state.tag;
  if (state.kind) f.kind = state.kind;
  if (state.verification) f.verification = state.verification;
  if (state.fn) f.implementsFunction = state.fn;
  return f;
}

/** Page arguments: the first page, the page after a cursor, or the page before one. */
export function pageArgs(state: ListState, size = PAGE_SIZE) {
  if (state.before) return { last: size, before: state.before };
  return { first: size, after: state.after };
}
