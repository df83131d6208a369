// Formatting for display. Every function returns plain text: React escapes it when rendering.

const numbers = new Intl.NumberFormat('en-US');

export function formatNumber(n: number): string {
  return numbers.format(n);
}

/** `2026-11-27 07:18 UTC`: one unambiguous form for every visitor. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `5 s`, `3 min`, `2 h`, `4 d`: a duration, rounded down to its largest unit. */
export function formatSeconds(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago` relative to `now`. */
export function formatAgo(iso: string, now: Date = new Date()): string {
  return `${formatSeconds((now.getTime() - new Date(iso).getTime()) / 1000)} ago`;
}

/** `CABC…WXYZ` for long addresses and hashes; short strings unchanged. */
export function shortId(id: string, keep = 6): string {
  return id.length <= keep * 2 + 1 ? id : `${id.slice(0, keep)}…${id.slice(-keep)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A link target only for http(s) URLs; anything else (javascript:, data:) is shown as text. */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A link target only for https URLs (a repository address the API built from a WASM's meta). */
export function safeHttpsUrl(value: string | null | undefined): string | null {
  const url = safeHttpUrl(value);
  return url?.startsWith('https:') ? url : null;
}

/** `https://<domain>` for a plain domain name (SEP-55 `home_domain`), else null: anything with a
 * scheme, path, port, credentials or characters a host name cannot have stays text. */
export function homeDomainUrl(domain: string | null | undefined): string | null {
  if (!domain || domain.length > 253) return null;
  const label = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => label.test(l))) return null;
  return `https://${domain.toLowerCase()}`;
}

/** `SEP-41`. */
export function sepLabel(n: number): string {
  return `SEP-${n}`;
}

const KIND_LABELS = { WASM: 'WASM', STELLAR_ASSET: 'Stellar asset' } as const;
export function kindLabel(kind: keyof typeof KIND_LABELS): string {
  return KIND_LABELS[kind];
}

const VERIFICATION_LABELS = {
  UNVERIFIED: 'Unverified',
  PENDING: 'Pending',
  VERIFIED: 'Verified',
  FAILED: 'Failed',
} as const;
export function verificationLabel(v: keyof typeof VERIFICATION_LABELS): string {
  return VERIFICATION_LABELS[v];
}

const VERSION_KIND_LABELS = { DEPLOYED: 'deployed', UPGRADED: 'upgraded', OBSERVED: 'observed' } as const;
/** How a version row reads: `deployed`, `upgraded`, or `observed` (the code seen at a ledger). */
export function versionKindLabel(kind: keyof typeof VERSION_KIND_LABELS): string {
  return VERSION_KIND_LABELS[kind];
}
