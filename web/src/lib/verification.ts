// Which of two readings of a build verification is the newer.
import type { BuildVerificationFactsFragment } from '../gql/graphql';

/**
 * Whether `live` (a verdict the contractVerified subscription delivered) is newer than `read`
 * (what the page read): its verdict was given later, or `read` has none yet. A page read after
 * the verdict wins again (equal times), and so shows whatever changed since.
 */
export function isNewerVerdict(
  live: Pick<BuildVerificationFactsFragment, 'checkedAt'> | null | undefined,
  read: Pick<BuildVerificationFactsFragment, 'checkedAt'> | null | undefined,
): boolean {
  if (!live?.checkedAt) return false;
  if (!read?.checkedAt) return true;
  return new Date(live.checkedAt).getTime() > new Date(read.checkedAt).getTime();
}
