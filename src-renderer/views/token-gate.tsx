import { useState, type FormEvent } from 'react';
import { useKernelStore } from '../store/kernel-store.js';
import { selectConnection } from '../store/selectors.js';

/** Asks for the access token `amk serve` printed, when the address has none or it did not work. */
export function TokenGate({ onConnect }: { onConnect: (token: string) => void }) {
  const connection = useKernelStore(selectConnection);
  const [token, setToken] = useState('');
  const connecting = connection.status === 'connecting';

  const submit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed !== '') onConnect(trimmed);
  };

  return (
    <main className="token-gate">
      <form onSubmit={submit} aria-labelledby="token-title">
        <h1 id="token-title">Connect to the kernel</h1>
        <p>
          Open the link <code>amk serve</code> printed (it ends in <code>#token=…</code>), or paste the token from <code>serve.json</code> in its data folder here.
        </p>
        {connection.status === 'failed' && connection.reason ? (
          <p className="form-error" role="alert">
            {connection.reason}
          </p>
        ) : null}
        <label>
          Access token
          <input
            type="password"
            name="token"
            autoComplete="off"
            spellCheck={false}
            required
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
        </label>
        <button type="submit" disabled={connecting}>
          {connecting ? 'Connecting…' : 'Connect'}
        </button>
      </form>
    </main>
  );
}
