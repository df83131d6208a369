import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { Misconfigured } from './components/States';
import { ApiConfigError, endpoints } from './lib/api';
import './styles.css';

/** Why the API's URL cannot be used (config.js or the build's VITE_API_URL), or null. */
function misconfigured(): string | null {
  try {
    endpoints();
    return null;
  } catch (e) {
    if (!(e instanceof ApiConfigError)) throw e;
    console.error(`The explorer cannot start: ${e.message}`);
    return e.message;
  }
}

const root = document.getElementById('root');
if (root) {
  const problem = misconfigured();
  createRoot(root).render(
    problem ? (
      <Misconfigured message={problem} />
    ) : (
      <StrictMode>
        <App />
      </StrictMode>
    ),
  );
}
