// The one way into zod: bundled into a single file for the built CLI (see src/vendor/oclif.ts).
export * from 'zod'
