// `node --import ./bench/register.mjs bench/<name>.ts`: runs a benchmark's TypeScript, and the src/
// modules it imports, without a build (bench/ts-loader.mjs).
import { register } from 'node:module'

register('./ts-loader.mjs', import.meta.url)
