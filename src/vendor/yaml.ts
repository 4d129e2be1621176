// The one way into yaml: bundled into a single file for the built CLI (see src/vendor/oclif.ts).
export * from 'yaml'
