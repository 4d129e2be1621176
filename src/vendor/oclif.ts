// The one way into @oclif/core. In the built CLI, dist/vendor/oclif.js is not this file's compiled form but a
// single-file bundle of the package (scripts/vendor.mjs, run by `npm run build`): start-up reads one file
// instead of ~130. Tests and type-checking see the package itself.
export * from '@oclif/core'
