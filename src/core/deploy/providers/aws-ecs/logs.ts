/**
 * CloudWatch Logs for `mode: fargate`: the plan's CreateLogGroup and PutRetentionPolicy (./fargate-plan.ts says
 * why the plan creates the group instead of the task). sls-run has no SDK client for CloudWatch Logs, so these
 * are awsJson1_1 requests made here (POST /, `X-Amz-Target: Logs_20140328.<action>`,
 * `Content-Type: application/x-amz-json-1.1`), signed with SigV4 (signing name `logs`, @smithy/signature-v4 as
 * in ./query.ts) and the session's credentials. AWS_ENDPOINT_URL_CLOUDWATCH_LOGS / AWS_ENDPOINT_URL override the
 * endpoint (the SDK's serviceId is "CloudWatch Logs"). Errors (`{__type, message}`) map like SDK errors.
 */
import { endpointFromEnv } from './credentials.js'
import { awsError } from './errors.js'
import { signedPost } from './query.js'
import type { AwsSession } from './session.js'

const SERVICE_ID = 'CloudWatch Logs'
const SIGNING_NAME = 'logs'
/** The X-Amz-Target prefix: the Smithy service shape's name. */
const LOGS_TARGET_PREFIX = 'Logs_20140328'

/** One CloudWatch Logs call with the plan's body; the JSON answer (`{}` for these two actions). */
export async function logsCall(session: AwsSession, action: string, body: unknown): Promise<unknown> {
  const endpoint = endpointFromEnv(session.ctx.env, SERVICE_ID)
  const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${LOGS_TARGET_PREFIX}.${action}` }
  const res = await signedPost(session, { serviceId: SERVICE_ID, signingName: SIGNING_NAME }, headers, JSON.stringify(body))
  if (res.status >= 200 && res.status < 300) return res.json ?? {}
  const said = (res.json ?? {}) as { __type?: string; message?: string; Message?: string }
  // `__type` may carry a namespace (`com.amazonaws.logs#…`) or a suffix after `:`; the SDKs keep the name only.
  const name = said.__type?.split('#').pop()?.split(':')[0] || `HTTP ${res.status}`
  const message = said.message ?? said.Message ?? res.text.slice(0, 300)
  throw awsError(SERVICE_ID, action, Object.assign(new Error(message), { name, $metadata: { httpStatusCode: res.status } }), endpoint)
}

/**
 * CreateLogGroup, then PutRetentionPolicy, with the plan's bodies. The group exists on every deploy after the
 * first (ResourceAlreadyExistsException: "The specified resource already exists", CreateLogGroup's errors,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html): that is no
 * failure, and the retention is set again either way.
 */
export async function ensureLogGroup(session: AwsSession, create: unknown, retention: unknown): Promise<'created' | 'exists'> {
  let outcome: 'created' | 'exists' = 'created'
  try {
    await logsCall(session, 'CreateLogGroup', create)
  } catch (err) {
    const name = ((err as { details?: { name?: string } }).details ?? {}).name
    if (name !== 'ResourceAlreadyExistsException') throw err
    outcome = 'exists'
  }
  if (retention) await logsCall(session, 'PutRetentionPolicy', retention)
  return outcome
}
