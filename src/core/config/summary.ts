import type { Diagnostic } from './diagnostic.js'
import type { LoadedConfig } from './load.js'

export interface ValidationSummary {
  file: string
  name: string
  services: string[]
  environments: string[]
  diagnostics: Diagnostic[]
}

export function summarize(loaded: LoadedConfig): ValidationSummary {
  return {
    file: loaded.file,
    name: loaded.config.name,
    services: Object.keys(loaded.config.services),
    environments: Object.keys(loaded.config.environments),
    diagnostics: loaded.warnings,
  }
}
