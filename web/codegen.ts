// TypeScript types for every operation in src/, checked against the server's schema
// (../schema.graphql, which a server test keeps equal to the code). A query that asks for a
// field the schema lacks fails here, and so fails the build.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // Every operation's sha256 is embedded in it, and persisted-documents.json maps each
        // sha256 to its text: the explorer sends ids, and the build ships the manifest for the
        // server (GRAPHQL_DOCUMENTS=persisted runs nothing else).
        persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' },
      },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { DateTime: 'string', Date: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
