/** Build options as users give them: which builder, and --build-arg values. */
import { ExitCode, SlsError } from '../../errors.js'
import type { Builder } from './build.js'

/**
 * `auto` follows the Docker CLI's rule for an engine API client: DOCKER_BUILDKIT when set, else the
 * builder the engine advertises in its `_ping` Builder-Version header (2 = BuildKit), else classic.
 */
export function chooseBuilder(flag: string, engineDefault: '1' | '2' | undefined, dockerBuildkit: string | undefined): Builder {
  if (flag === 'buildkit' || flag === 'classic') return flag
  if (dockerBuildkit !== undefined && dockerBuildkit !== '') return ['1', 'true'].includes(dockerBuildkit.toLowerCase()) ? 'buildkit' : 'classic'
  return engineDefault === '2' ? 'buildkit' : 'classic'
}

export function parseBuildArgs(values: string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const args: Record<string, string> = {}
  for (const value of values) {
    const eq = value.indexOf('=')
    const key = eq < 0 ? value : value.slice(0, eq)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new SlsError('USAGE', `--build-arg ${value}: ${JSON.stringify(key)} is not a valid argument name`, {
        exitCode: ExitCode.usage,
        hints: ['Use --build-arg KEY=VALUE (or KEY alone to take it from the environment).'],
      })
    }
    if (eq >= 0) args[key] = value.slice(eq + 1)
    else if (env[key] !== undefined) args[key] = env[key]!
  }
  return args
}
