// "Request verification": asks the verifier to check a WASM's build attestation again (the
// publisher holding a contract that runs it may ask); the verdict arrives later
// (contractVerified).
import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { errorText } from './States';

const RequestVerificationMutation = graphql(`
  mutation RequestVerification($wasmHash: String!) {
    requestVerification(wasmHash: $wasmHash) {
      hash
      verification {
        status
        queued
      }
    }
  }
`);

export function RequestVerification({ wasmHash, onDone }: { wasmHash: string; onDone?: () => void }) {
  const [{ fetching }, request] = useMutation(RequestVerificationMutation);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const ask = async () => {
    setNote(null);
    const r = await request({ wasmHash });
    if (r.error) {
      setNote({ ok: false, text: `Could not request a verification: ${errorText(r.error)}` });
      return;
    }
    setNote({ ok: true, text: 'Verification requested: the verifier checks the build attestation shortly.' });
    onDone?.();
  };
  return (
    <div className="request-verification">
      <button type="button" onClick={ask} disabled={fetching}>
        {fetching ? 'Requesting…' : 'Request verification'}
      </button>
      {note && (
        <p className={note.ok ? 'action-note' : 'action-error'} role={note.ok ? 'status' : 'alert'}>
          {note.text}
        </p>
      )}
    </div>
  );
}
