export type { Diagnostic } from './diagnostic.js'
export { loadConfig, type LoadedConfig, type LoadOptions, type ResolvedEnvironment } from './load.js'
export { configSchema, type Config, type ServiceConfig, type EnvironmentConfig } from './schema.js'
export { formatBytes, formatDuration, formatSize, parseDuration, parseSize } from './units.js'
