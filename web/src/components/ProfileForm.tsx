// The signed-in publisher's own profile: display name, website and GitHub account, saved with
// updatePublisher (which creates the publisher on first use). The server checks each value; its
// refusal (an http:// website, a malformed GitHub name) is shown as it says it.
import { useState } from 'react';
import { useClient, useMutation } from 'urql';
import { graphql } from '../gql';
import { ViewerQuery } from './Account';
import { errorText } from './States';

const UpdatePublisherMutation = graphql(`
  mutation UpdatePublisher($displayName: String, $website: String, $github: String) {
    updatePublisher(displayName: $displayName, website: $website, github: $github) {
      address
      displayName
      website
      github
    }
  }
`);

type Profile = { displayName?: string | null; website?: string | null; github?: string | null };

export function ProfileForm({ profile, onSaved }: { profile: Profile | null; onSaved: () => void }) {
  const client = useClient();
  const [displayName, setDisplayName] = useState(profile?.displayName ?? '');
  const [website, setWebsite] = useState(profile?.website ?? '');
  const [github, setGithub] = useState(profile?.github ?? '');
  const [{ fetching }, update] = useMutation(UpdatePublisherMutation);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <form
      className="profile-form"
      // The server's checks are the ones that count, and its messages say what to fix.
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setNote(null);
        const r = await update({ displayName, website, github });
        if (r.error) {
          setNote({ ok: false, text: `Not saved: ${errorText(r.error)}` });
          return;
        }
        setNote({ ok: true, text: 'Profile saved.' });
        onSaved();
        // The header shows the display name.
        void client.query(ViewerQuery, {}, { requestPolicy: 'network-only' }).toPromise();
      }}
    >
      <fieldset>
        <legend>{profile ? 'Edit your profile' : 'Create your publisher profile'}</legend>
        <label>
          <span>Display name</span>
          <input name="displayName" value={displayName} maxLength={64} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <label>
          <span>
            Website <span className="muted">(https://…)</span>
          </span>
          <input
            name="website"
            type="url"
            inputMode="url"
            value={website}
            maxLength={200}
            placeholder="https://example.org"
            onChange={(e) => setWebsite(e.target.value)}
          />
        </label>
        <label>
          <span>GitHub account or organisation</span>
          <input name="github" value={github} maxLength={39} onChange={(e) => setGithub(e.target.value)} />
        </label>
        <p className="muted">An empty field clears it.</p>
        <button type="submit" disabled={fetching}>
          {fetching ? 'Saving…' : 'Save profile'}
        </button>
      </fieldset>
      {note && (
        <p className={note.ok ? 'action-note' : 'action-error'} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </p>
      )}
    </form>
  );
}
