/// <reference types="vitest/config" />
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { ApiConfigError, resolveEndpoints } from './src/lib/api';

// The API server the dev server forwards /graphql to (HTTP and WebSocket).
const api = process.env.REGISTRY_API ?? 'http://127.0.0.1:3001';

/** Ships the documents manifest the codegen wrote (the explorer's operations by sha256) in the
 * build, where the server loads it from. */
function documentsManifest(): Plugin {
  let outDir = 'dist';
  return {
    name: 'registry-documents-manifest',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    writeBundle() {
      copyFileSync('src/gql/persisted-documents.json', join(outDir, 'persisted-documents.json'));
    },
  };
}

/** Stops a build given a malformed VITE_API_URL or VITE_API_WS_URL (the API's URL, see
 * src/lib/api.ts), rather than shipping an explorer that cannot start. */
function apiUrlCheck(): Plugin {
  return {
    name: 'registry-api-url-check',
    apply: 'build',
    configResolved(config) {
      try {
        resolveEndpoints(
          undefined,
          { apiUrl: config.env.VITE_API_URL, wsUrl: config.env.VITE_API_WS_URL },
          { protocol: 'http:', host: 'localhost' },
        );
      } catch (e) {
        if (e instanceof ApiConfigError) throw new Error(e.message);
        throw e;
      }
    },
  };
}

/** Writes .br and .gz beside every text asset; the server sends them to clients that accept them.
 * Not for config.js, which is edited where the explorer is deployed: a stale compressed twin
 * would be served instead of the edit. */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'registry-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        if (file === join(outDir, 'config.js')) continue;
        const bytes = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), apiUrlCheck(), documentsManifest(), precompress()],
  build: {
    target: 'es2022',
    sourcemap: false,
    rollupOptions: {
      // The explorer, and GraphiQL (served by the API server at GET /graphql to browsers).
      input: { main: 'index.html', graphiql: 'graphiql.html' },
    },
    // GraphiQL's editor is one large chunk, loaded only on its own page.
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      // The server sees the API's own origin: it refuses WebSockets from pages of an origin it
      // does not know (CORS_ALLOWED_ORIGINS), and this dev server's is not one.
      '/graphql': { target: api, ws: true, changeOrigin: true, headers: { origin: new URL(api).origin } },
      '/auth': { target: api, changeOrigin: true },
    },
  },
  test: {
    // The end-to-end files share one server and database: one file at a time.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['src/**/*.test.{ts,tsx}'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['e2e/**/*.test.ts'],
          globalSetup: ['e2e/setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
