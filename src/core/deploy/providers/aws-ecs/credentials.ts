/**
 * AWS credentials from `ctx.env` (not `process.env`, which the SDK's own default chain reads): the
 * same sources, in the same order, as the AWS CLI and SDKs, each built with the values of ctx.env:
 *
 * 1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 * 2. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME): CI OIDC, EKS IRSA (STS
 *    AssumeRoleWithWebIdentity; AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL override the STS endpoint);
 * 3. the shared files (AWS_PROFILE or `default`; AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, else
 *    ~/.aws/credentials and ~/.aws/config): keys, assume-role, SSO, credential_process;
 * 4. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI: ECS tasks, CodeBuild);
 * 5. EC2 instance metadata, unless AWS_EC2_METADATA_DISABLED=true.
 *
 * The credential packages load lazily; they are direct dependencies in package.json (the same versions
 * @aws-sdk/client-ecs uses through @aws-sdk/credential-provider-node).
 */
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AwsCredentialIdentity } from '@smithy/types'
import { missingCredentials } from '../../api.js'

export type CredentialProvider = () => Promise<AwsCredentialIdentity>

interface Source {
  name: string
  /** Whether the environment points at this source at all. */
  applies: boolean
  load: () => Promise<CredentialProvider>
}

const HINTS = [
  'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE for a profile in ~/.aws, or run `aws sso login` / `aws configure`.',
  'In CI with OIDC: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (aws-actions/configure-aws-credentials sets them).',
]

/** Where the endpoint of `service` comes from: AWS_ENDPOINT_URL_<SERVICE ID>, then AWS_ENDPOINT_URL (the SDK's names). */
export function endpointFromEnv(env: NodeJS.ProcessEnv, serviceId: string): string | undefined {
  const specific = env[`AWS_ENDPOINT_URL_${serviceId.toUpperCase().replace(/ /g, '_')}`]
  return specific || env.AWS_ENDPOINT_URL || undefined
}

function sources(env: NodeJS.ProcessEnv, region: string): Source[] {
  const home = env.HOME || env.USERPROFILE || os.homedir()
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials')
  const configFile = env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config')
  const stsEndpoint = endpointFromEnv(env, 'STS')
  const clientConfig = { region, ...(stsEndpoint ? { endpoint: stsEndpoint } : {}) }
  return [
    {
      name: 'environment (AWS_ACCESS_KEY_ID)',
      applies: Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY),
      load: async () => {
        const identity: AwsCredentialIdentity = {
          accessKeyId: env.AWS_ACCESS_KEY_ID!,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
        return async () => identity
      },
    },
    {
      name: 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE)',
      applies: Boolean(env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN),
      load: async () => {
        const { fromTokenFile } = await import('@aws-sdk/credential-provider-web-identity')
        return fromTokenFile({ webIdentityTokenFile: env.AWS_WEB_IDENTITY_TOKEN_FILE, roleArn: env.AWS_ROLE_ARN, roleSessionName: env.AWS_ROLE_SESSION_NAME || `sls-run-${Date.now()}`, clientConfig })
      },
    },
    {
      name: `profile ${env.AWS_PROFILE || 'default'} (${credentialsFile}, ${configFile})`,
      applies: Boolean(env.AWS_PROFILE) || existsSync(credentialsFile) || existsSync(configFile),
      load: async () => {
        const { fromIni } = await import('@aws-sdk/credential-provider-ini')
        return fromIni({ profile: env.AWS_PROFILE || 'default', filepath: credentialsFile, configFilepath: configFile, clientConfig, ignoreCache: true })
      },
    },
    {
      name: 'container credentials (AWS_CONTAINER_CREDENTIALS_*_URI)',
      applies: Boolean(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI),
      load: async () => {
        const { fromHttp } = await import('@aws-sdk/credential-provider-http')
        return fromHttp({
          awsContainerCredentialsRelativeUri: env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
          awsContainerCredentialsFullUri: env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
          awsContainerAuthorizationToken: env.AWS_CONTAINER_AUTHORIZATION_TOKEN,
          awsContainerAuthorizationTokenFile: env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
        })
      },
    },
    {
      name: 'EC2 instance metadata',
      applies: String(env.AWS_EC2_METADATA_DISABLED).toLowerCase() !== 'true',
      load: async () => {
        const { fromInstanceMetadata } = await import('@smithy/credential-provider-imds')
        return fromInstanceMetadata({ timeout: 1000, maxRetries: 0 })
      },
    },
  ]
}

/** Refresh five minutes before expiry (web identity, SSO and container credentials expire). */
const REFRESH_MS = 5 * 60_000

/**
 * The first source that yields credentials, memoized (and refreshed before it expires). A source the
 * environment names but that fails (unreadable token file, unknown profile) is reported with the
 * others: DEPLOY_CREDENTIALS (exit 3) when none works.
 */
export async function resolveCredentials(env: NodeJS.ProcessEnv, region: string): Promise<CredentialProvider> {
  const tried: string[] = []
  for (const source of sources(env, region).filter((s) => s.applies)) {
    try {
      const provider = await source.load()
      let current = await provider()
      return async () => {
        if (current.expiration && current.expiration.getTime() - Date.now() < REFRESH_MS) current = await provider()
        return current
      }
    } catch (err) {
      tried.push(`${source.name}: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  throw missingCredentials(
    'AWS',
    tried.length ? `none of the credential sources worked (${tried.join('; ')})` : 'no access keys, profile, web identity or container credentials in the environment',
    HINTS,
  )
}
