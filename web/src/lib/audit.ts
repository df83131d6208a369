// The audit trail in words: what each mutation a publisher made did, from the before and after
// the log keeps (JSON the server wrote). Plain text: React escapes it, and every value a
// publisher chose (a name, a website) is quoted as it is.
import { shortId } from './format';

const ACTIONS: Record<string, string> = {
  claimContract: 'Claimed',
  releaseContract: 'Released',
  setContractTags: 'Set tags',
  updatePublisher: 'Updated the profile',
  requestVerification: 'Requested verification',
};

/** `Claimed` for `claimContract`; an action this explorer does not know, as the log names it. */
export function auditAction(action: string): string {
  return ACTIONS[action] ?? action;
}

type Json = Record<string, unknown>;
const object = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

function account(v: unknown): string {
  return typeof v === 'string' && v ? shortId(v, 4) : 'nobody';
}

function tagList(v: unknown): string {
  const tags = Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  return tags.length > 0 ? tags.join(', ') : 'none';
}

function value(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  return typeof v === 'string' ? `“${v}”` : JSON.stringify(v);
}

/** `; tags: defi → none` when a claim or a release changed the manual tags too. */
function tagChange(b: Json, a: Json): string {
  return 'tags' in b || 'tags' in a ? `; tags: ${tagList(b.tags)} → ${tagList(a.tags)}` : '';
}

const PROFILE_FIELDS: [string, string][] = [
  ['displayName', 'name'],
  ['website', 'website'],
  ['github', 'GitHub'],
];

/** What changed, as a person reads it: `publisher: nobody → GABC…WXYZ (as its deployer)`. */
export function auditChange(action: string, before: unknown, after: unknown): string {
  const b = object(before);
  const a = object(after);
  switch (action) {
    case 'claimContract': {
      const basis =
        a.basis === 'deployer'
          ? ' (as its deployer)'
          : a.basis === 'home_domain'
            ? ` (listed by the stellar.toml of ${typeof a.homeDomain === 'string' ? a.homeDomain : 'its home domain'})`
            : '';
      return `publisher: ${account(b.publisher)} → ${account(a.publisher)}${basis}${tagChange(b, a)}`;
    }
    case 'releaseContract':
      return `publisher: ${account(b.publisher)} → ${account(a.publisher)}${tagChange(b, a)}`;
    case 'setContractTags':
      return `tags: ${tagList(b.tags)} → ${tagList(a.tags)}`;
    case 'updatePublisher': {
      const changed = PROFILE_FIELDS.filter(([k]) => JSON.stringify(b[k] ?? null) !== JSON.stringify(a[k] ?? null));
      if (changed.length === 0) return 'no change';
      return changed.map(([k, label]) => `${label}: ${value(b[k])} → ${value(a[k])}`).join('; ');
    }
    case 'requestVerification':
      return 'a new check of its build queued';
    default:
      return `${before == null ? '—' : JSON.stringify(before)} → ${after == null ? '—' : JSON.stringify(after)}`;
  }
}
