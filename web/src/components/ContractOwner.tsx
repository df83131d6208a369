// What a signed-in account can do with a contract: claim it while no publisher holds it (its
// deployer, or an account its home domain lists: the server decides, and its refusal is shown
// as it says it), and, holding it, release it and set its manual tags (asking for its build to
// be verified is in the page's verification section). `onChange` reads the contract again after
// each change.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { Network } from '../gql/graphql';
import { shortId } from '../lib/format';
import { useSession } from '../lib/session';
import { errorText } from './States';

const ClaimMutation = graphql(`
  mutation ClaimContract($network: Network!, $contractId: String!) {
    claimContract(network: $network, contractId: $contractId) {
      id
      publisher {
        address
      }
    }
  }
`);

const ReleaseMutation = graphql(`
  mutation ReleaseContract($network: Network!, $contractId: String!) {
    releaseContract(network: $network, contractId: $contractId) {
      id
      publisher {
        address
      }
    }
  }
`);

const SetTagsMutation = graphql(`
  mutation SetContractTags($network: Network!, $contractId: String!, $tags: [String!]!) {
    setContractTags(network: $network, contractId: $contractId, tags: $tags) {
      id
      tags {
        name
        source
      }
    }
  }
`);

const TagVocabularyQuery = graphql(`
  query TagVocabulary {
    tagVocabulary
  }
`);

type Props = {
  network: Network;
  contractId: string;
  /** The publisher holding it (`G…`), or null. */
  holder: string | null;
  deployer: string | null;
  tags: readonly { name: string; source: 'AUTO' | 'MANUAL' }[];
  onChange: () => void;
};

type Note = { ok: boolean; text: string } | null;

function ActionNote({ note }: { note: Note }) {
  if (!note) return null;
  return (
    <p className={note.ok ? 'action-note' : 'action-error'} role={note.ok ? 'status' : 'alert'}>
      {note.text}
    </p>
  );
}

/** The manual tags, chosen from the vocabulary the server accepts. */
function TagEditor({ network, contractId, tags, onChange }: Pick<Props, 'network' | 'contractId' | 'tags' | 'onChange'>) {
  const [{ data, error }] = useQuery({ query: TagVocabularyQuery });
  const manual = tags.filter((t) => t.source === 'MANUAL').map((t) => t.name);
  const auto = tags.filter((t) => t.source === 'AUTO').map((t) => t.name);
  const [chosen, setChosen] = useState<string[]>(manual);
  const key = manual.join(',');
  // The contract read again (after a save, or by another tab): start from its tags.
  useEffect(() => setChosen(key ? key.split(',') : []), [key]);
  const [{ fetching }, save] = useMutation(SetTagsMutation);
  const [note, setNote] = useState<Note>(null);
  if (error) return <p className="action-error">Could not load the tags one can set: {errorText(error)}</p>;
  if (!data) return null;
  const toggle = (name: string, on: boolean) =>
    setChosen((c) => (on ? [...c.filter((n) => n !== name), name] : c.filter((n) => n !== name)));
  return (
    <form
      className="tag-editor"
      onSubmit={async (e) => {
        e.preventDefault();
        setNote(null);
        const r = await save({ network, contractId, tags: [...chosen].sort() });
        if (r.error) setNote({ ok: false, text: `Could not set the tags: ${errorText(r.error)}` });
        else {
          setNote({ ok: true, text: 'Tags saved.' });
          onChange();
        }
      }}
    >
      <h3>Tags</h3>
      <fieldset>
        <legend>The tags you set (up to 8)</legend>
        <div className="tag-choices">
          {data.tagVocabulary.map((name) => (
            <label key={name} className="tag-choice">
              <input
                type="checkbox"
                name="tag"
                value={name}
                checked={chosen.includes(name)}
                onChange={(e) => toggle(name, e.target.checked)}
              />{' '}
              {name}
            </label>
          ))}
        </div>
        {auto.length > 0 && (
          <p className="muted">Derived from its interface, and kept: {auto.join(', ')}.</p>
        )}
        <button type="submit" disabled={fetching}>
          {fetching ? 'Saving…' : 'Save tags'}
        </button>
      </fieldset>
      <ActionNote note={note} />
    </form>
  );
}

export function ContractOwner({ network, contractId, holder, deployer, tags, onChange }: Props) {
  const session = useSession();
  const [{ fetching: claiming }, claim] = useMutation(ClaimMutation);
  const [{ fetching: releasing }, release] = useMutation(ReleaseMutation);
  const [note, setNote] = useState<Note>(null);
  // A note belongs to the account that acted, and to this contract.
  const me = session?.address ?? null;
  useEffect(() => setNote(null), [me, contractId]);

  if (!me) {
    return holder ? null : (
      <section aria-labelledby="claim-title">
        <h2 id="claim-title">Publisher</h2>
        <p className="muted owner-hint">
          No publisher holds this contract. Deployed it? Sign in with the deployer’s wallet to
          claim it, and then tag it and have its build verified.
        </p>
      </section>
    );
  }
  const act = async (what: 'claim' | 'release') => {
    setNote(null);
    const r = what === 'claim' ? await claim({ network, contractId }) : await release({ network, contractId });
    if (r.error) {
      setNote({ ok: false, text: `Could not ${what} this contract: ${errorText(r.error)}` });
      return;
    }
    setNote({ ok: true, text: what === 'claim' ? 'You now hold this contract.' : 'You released this contract.' });
    onChange();
  };
  if (holder && holder !== me) {
    return <ActionNote note={note} />;
  }
  if (!holder) {
    return (
      <section aria-labelledby="claim-title" className="owner-actions">
        <h2 id="claim-title">Publisher</h2>
        <p>
          No publisher holds this contract.{' '}
          {deployer === me
            ? 'Your account deployed it.'
            : `Its deployer${deployer ? ` (${shortId(deployer, 4)})` : ''} or an account its home domain lists can claim it.`}
        </p>
        <button type="button" className="claim" onClick={() => act('claim')} disabled={claiming}>
          {claiming ? 'Claiming…' : 'Claim this contract'}
        </button>
        <ActionNote note={note} />
      </section>
    );
  }
  return (
    <section aria-labelledby="manage-title" className="owner-actions">
      <h2 id="manage-title">Manage this contract</h2>
      <p>
        You hold this contract: you can tag it, ask for its build to be verified, or release it
        to another publisher.{' '}
        <button type="button" className="release" onClick={() => act('release')} disabled={releasing}>
          {releasing ? 'Releasing…' : 'Release'}
        </button>
      </p>
      <ActionNote note={note} />
      <TagEditor network={network} contractId={contractId} tags={tags} onChange={onChange} />
    </section>
  );
}
