/**
 * One AWS session per deploy/status/remove call: credentials resolved once from ctx.env, and the SDK
 * clients (loaded lazily) configured from ctx.env too: region from the settings, endpoint from
 * AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, retries from AWS_MAX_ATTEMPTS (default 3). Settings
 * not passed here (FIPS / dual-stack, an `endpoint_url` in ~/.aws/config) the SDK still reads from
 * process.env and the shared config files, as the AWS CLI does.
 */
import type { ECRClient } from '@aws-sdk/client-ecr'
import type { ECSClient } from '@aws-sdk/client-ecs'
import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling'
import type { DeployContext } from '../../types.js'
import { type CredentialProvider, endpointFromEnv, resolveCredentials } from './credentials.js'
import { awsError } from './errors.js'

export type EcsSdk = typeof import('@aws-sdk/client-ecs')
export type AutoScalingSdk = typeof import('@aws-sdk/client-application-auto-scaling')
export type EcrSdk = typeof import('@aws-sdk/client-ecr')

/**
 * A plan's request body as the input of the SDK command it goes to (the type comes from the command):
 * the plans write each body in the shape of the API's JSON, which the SDK's input types describe, and
 * ./lookups.ts fills in what they leave to deploy time.
 */
export function sdkInput<Input>(body: unknown): Input {
  return body as Input
}

export class AwsSession {
  private ecsClient?: { sdk: EcsSdk; client: ECSClient }
  private autoscalingClient?: { sdk: AutoScalingSdk; client: ApplicationAutoScalingClient }

  private constructor(
    readonly region: string,
    readonly ctx: DeployContext,
    readonly credentials: CredentialProvider,
  ) {}

  /** DEPLOY_CREDENTIALS (exit 3) when the environment has no usable credentials. */
  static async open(region: string, ctx: DeployContext): Promise<AwsSession> {
    return new AwsSession(region, ctx, await resolveCredentials(ctx.env, region))
  }

  /** Client config shared by every SDK client; `serviceId` names the endpoint variable (the SDK's serviceId). */
  config(serviceId: string, region = this.region) {
    // The SDK warns on Node < 22 that its releases after January 2027 will need Node 22. sls-run pins the
    // SDK in its lock file, so the notice is about a future that does not reach our users: keep stderr clean.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
    const endpoint = endpointFromEnv(this.ctx.env, serviceId)
    const attempts = Number(this.ctx.env.AWS_MAX_ATTEMPTS)
    return {
      region,
      credentials: this.credentials,
      maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 3,
      // A silent endpoint fails the call (DEPLOY_UNREACHABLE) instead of hanging the deploy.
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
      ...(endpoint ? { endpoint } : {}),
    }
  }

  endpoint(serviceId: string): string | undefined {
    return endpointFromEnv(this.ctx.env, serviceId)
  }

  async ecs(): Promise<{ sdk: EcsSdk; client: ECSClient }> {
    if (!this.ecsClient) {
      const sdk = await import('@aws-sdk/client-ecs')
      this.ecsClient = { sdk, client: new sdk.ECSClient(this.config('ECS')) }
    }
    return this.ecsClient
  }

  async autoscaling(): Promise<{ sdk: AutoScalingSdk; client: ApplicationAutoScalingClient }> {
    if (!this.autoscalingClient) {
      const sdk = await import('@aws-sdk/client-application-auto-scaling')
      this.autoscalingClient = { sdk, client: new sdk.ApplicationAutoScalingClient(this.config('Application Auto Scaling')) }
    }
    return this.autoscalingClient
  }

  /** ECR in the registry's own region (which may differ from the environment's). */
  async ecr(region: string): Promise<{ sdk: EcrSdk; client: ECRClient }> {
    const sdk = await import('@aws-sdk/client-ecr')
    return { sdk, client: new sdk.ECRClient(this.config('ECR', region)) }
  }

  /** Run one SDK call (given the abort signal); SDK errors become SlsErrors (./errors.ts). `serviceId` as in config(). */
  async call<T>(serviceId: string, what: string, run: (abortSignal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    try {
      return await run(this.ctx.signal)
    } catch (err) {
      throw awsError(serviceId, what, err, this.endpoint(serviceId))
    }
  }

  destroy(): void {
    this.ecsClient?.client.destroy()
    this.autoscalingClient?.client.destroy()
  }
}
