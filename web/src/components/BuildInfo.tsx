// How a WASM was built and where its source is (SEP-55 meta), and the SEPs it says it
// implements. Every string comes from the WASM: shown as text, and linked only when it is an
// https address the API built (the repository) or a plain domain name (the home domain).
import { graphql } from '../gql';
import type { BuildInfoFactsFragment } from '../gql/graphql';
import { homeDomainUrl, safeHttpsUrl, sepLabel } from '../lib/format';

export const BuildInfoFacts = graphql(`
  fragment BuildInfoFacts on BuildInfo {
    sourceRepo
    sourceUrl
    homeDomain
    cliVersion
    rustVersion
    sdkVersion
  }
`);

/** `stellar-cli 23.0.1 · rustc 1.89.0 · soroban-sdk 23.0.2`, or null when none is recorded. */
export function toolchainText(b: BuildInfoFactsFragment): string | null {
  const parts = [
    b.cliVersion && `stellar-cli ${b.cliVersion}`,
    b.rustVersion && `rustc ${b.rustVersion}`,
    b.sdkVersion && `soroban-sdk ${b.sdkVersion}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** Source, home domain and toolchain as `<dt>`/`<dd>` pairs of a `.facts` list; what the meta
 * does not say is left out. */
export function BuildInfoRows({ info }: { info: BuildInfoFactsFragment }) {
  const source = safeHttpsUrl(info.sourceUrl);
  const home = homeDomainUrl(info.homeDomain);
  const toolchain = toolchainText(info);
  return (
    <>
      {(info.sourceRepo || source) && (
        <div className="fact-pair">
          <dt>Source</dt>
          <dd className="build-source">
            {source ? (
              <a href={source} rel="noopener noreferrer nofollow ugc" target="_blank">
                {info.sourceRepo ?? source}
              </a>
            ) : (
              info.sourceRepo
            )}{' '}
            <span className="muted">(claimed in its meta)</span>
          </dd>
        </div>
      )}
      {info.homeDomain && (
        <div className="fact-pair">
          <dt>Home domain</dt>
          <dd className="build-home">
            {home ? (
              <a href={home} rel="noopener noreferrer nofollow ugc" target="_blank">
                {info.homeDomain}
              </a>
            ) : (
              info.homeDomain
            )}
          </dd>
        </div>
      )}
      {toolchain && (
        <div className="fact-pair">
          <dt>Built with</dt>
          <dd className="build-toolchain">{toolchain}</dd>
        </div>
      )}
    </>
  );
}

/** SEP numbers as small labels (`SEP-41`): what the contract claims, not a check. */
export function SepLabels({ seps }: { seps: readonly number[] }) {
  if (seps.length === 0) return null;
  return (
    <ul className="seps" aria-label="Implemented SEPs">
      {seps.map((n) => (
        <li key={n} className="sep">
          {sepLabel(n)}
        </li>
      ))}
    </ul>
  );
}
