// A WASM's build verification (SEP-55): a badge (Verified, Failed, Pending, Unverified) and
// what the verdict rests on: the repository and commit the attestation names, the workflow run
// that built it, or why it failed. Links only to the https addresses the API built.
import { graphql } from '../gql';
import type { BuildVerificationFactsFragment, VerificationStatus } from '../gql/graphql';
import { formatDateTime, safeHttpsUrl, verificationLabel } from '../lib/format';

export const BuildVerificationFacts = graphql(`
  fragment BuildVerificationFacts on BuildVerification {
    status
    queued
    reason
    repository
    repositoryUrl
    commit
    commitUrl
    workflow
    runUrl
    signedAt
    checkedAt
  }
`);

export function VerificationBadge({ status }: { status: VerificationStatus }) {
  return (
    <span className={`verification-badge verification-${status.toLowerCase()}`}>{verificationLabel(status)}</span>
  );
}

function External({ href, children }: { href: string | null; children: React.ReactNode }) {
  return href ? (
    <a href={href} rel="noopener noreferrer nofollow ugc" target="_blank">
      {children}
    </a>
  ) : (
    <>{children}</>
  );
}

/** What the status means for this WASM, in a sentence. */
function Summary({ v, status }: { v: BuildVerificationFactsFragment; status: VerificationStatus }) {
  const reason = <span className="verification-reason">{v.reason ?? 'no reason recorded'}</span>;
  switch (status) {
    case 'VERIFIED':
      return v.status === 'VERIFIED' ? (
        <p>
          Its GitHub build attestation verified: signed through Sigstore by a workflow of the
          repository its meta names, logged, and naming this WASM’s hash. It proves which CI run
          built the code, not that the code is safe.
          {v.queued && <span className="verification-queued"> A new check is queued.</span>}
        </p>
      ) : (
        <p>Its build is marked verified.</p>
      );
    case 'FAILED':
      return v.status === 'FAILED' ? (
        <p>
          The check failed: {reason}
          {v.queued && (
            <span className="verification-queued"> A new check is queued: the verifier has not given its verdict yet.</span>
          )}
        </p>
      ) : (
        <p>Its build is marked as failing verification.</p>
      );
    case 'PENDING':
      return (
        <p>
          <span className="verification-queued">A check is queued: the verifier has not given its verdict yet.</span>
          {v.status === 'FAILED' && <> The last one failed: {reason}</>}
        </p>
      );
    case 'UNVERIFIED':
      return (
        <p>
          No build attestation has been checked: its meta names no source repository (SEP-55), and
          nobody asked for a check.
        </p>
      );
  }
}

/** The badge's explanation and the attestation's facts, for the shown `status` (a contract's,
 * which the registry keeps with the contract, or the WASM's own). */
export function VerificationDetails({ v, status }: { v: BuildVerificationFactsFragment; status: VerificationStatus }) {
  const run = safeHttpsUrl(v.runUrl);
  return (
    <div className="verification-details">
      <Summary v={v} status={status} />
      {(v.repository || v.commit || v.workflow || run || v.checkedAt) && (
        <dl className="facts verification-facts">
          {v.repository && (
            <div className="fact-pair">
              <dt>Repository</dt>
              <dd>
                <External href={safeHttpsUrl(v.repositoryUrl)}>
                  <span className="verification-repository">{v.repository}</span>
                </External>
              </dd>
            </div>
          )}
          {v.commit && (
            <div className="fact-pair">
              <dt>Commit</dt>
              <dd>
                <External href={safeHttpsUrl(v.commitUrl)}>
                  <code className="verification-commit hash">{v.commit}</code>
                </External>
              </dd>
            </div>
          )}
          {v.workflow && (
            <div className="fact-pair">
              <dt>Workflow</dt>
              <dd>
                <code className="verification-workflow">{v.workflow}</code>
              </dd>
            </div>
          )}
          {run && (
            <div className="fact-pair">
              <dt>Build run</dt>
              <dd>
                <a href={run} rel="noopener noreferrer nofollow ugc" target="_blank" className="verification-run">
                  {run.replace(/^https:\/\//, '')}
                </a>
              </dd>
            </div>
          )}
          {v.signedAt && (
            <div className="fact-pair">
              <dt>Signed</dt>
              <dd>
                <time dateTime={v.signedAt}>{formatDateTime(v.signedAt)}</time>
              </dd>
            </div>
          )}
          {v.checkedAt && (
            <div className="fact-pair">
              <dt>Checked</dt>
              <dd>
                <time dateTime={v.checkedAt}>{formatDateTime(v.checkedAt)}</time>
              </dd>
            </div>
          )}
        </dl>
      )}
    </div>
  );
}
