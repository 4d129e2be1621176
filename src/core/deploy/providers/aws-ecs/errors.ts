/**
 * SDK errors → the deploy codes of ../../api.ts. AWS names the error in `name` (the JSON `__type`);
 * the HTTP status decides when the name is not one of ours. Transport failures (refused, DNS, TLS)
 * have no `$metadata.httpStatusCode`.
 */
import { ExitCode, SlsError, type ErrorCode } from '../../../../errors.js'
import { redact } from '../../../redact.js'

const BY_NAME: Record<string, ErrorCode> = {
  AccessDeniedException: 'DEPLOY_PERMISSION_DENIED',
  AccessDenied: 'DEPLOY_PERMISSION_DENIED',
  UnauthorizedOperation: 'DEPLOY_PERMISSION_DENIED',
  ThrottlingException: 'DEPLOY_QUOTA',
  Throttling: 'DEPLOY_QUOTA',
  LimitExceededException: 'DEPLOY_QUOTA',
  ServiceQuotaExceededException: 'DEPLOY_QUOTA',
  RequestLimitExceeded: 'DEPLOY_QUOTA',
  ClientException: 'DEPLOY_API',
  InvalidParameterException: 'DEPLOY_API',
  ValidationException: 'DEPLOY_API',
  UnrecognizedClientException: 'DEPLOY_AUTH',
  InvalidSignatureException: 'DEPLOY_AUTH',
  SignatureDoesNotMatch: 'DEPLOY_AUTH',
  IncompleteSignature: 'DEPLOY_AUTH',
  InvalidClientTokenId: 'DEPLOY_AUTH',
  ExpiredTokenException: 'DEPLOY_AUTH',
  AuthFailure: 'DEPLOY_AUTH',
  ServiceNotFoundException: 'DEPLOY_NOT_FOUND',
  ServiceNotActiveException: 'DEPLOY_NOT_FOUND',
  ClusterNotFoundException: 'DEPLOY_NOT_FOUND',
  ObjectNotFoundException: 'DEPLOY_NOT_FOUND',
  ResourceNotFoundException: 'DEPLOY_NOT_FOUND',
  RepositoryNotFoundException: 'DEPLOY_NOT_FOUND',
  TargetGroupNotFound: 'DEPLOY_NOT_FOUND',
  ConflictException: 'DEPLOY_CONFLICT',
  ConcurrentUpdateException: 'DEPLOY_CONFLICT',
  UpdateInProgressException: 'DEPLOY_CONFLICT',
  ResourceInUseException: 'DEPLOY_CONFLICT',
  // CloudWatch Logs: another call changed the log group meanwhile (CreateLogGroup's ResourceAlreadyExistsException is handled in ./logs.ts).
  OperationAbortedException: 'DEPLOY_CONFLICT',
  ResourceAlreadyExistsException: 'DEPLOY_CONFLICT',
}

const BY_STATUS: Record<number, ErrorCode> = { 401: 'DEPLOY_AUTH', 403: 'DEPLOY_PERMISSION_DENIED', 404: 'DEPLOY_NOT_FOUND', 409: 'DEPLOY_CONFLICT', 429: 'DEPLOY_QUOTA' }

const HINTS: Record<string, string> = {
  DEPLOY_AUTH: 'The credentials were rejected: refresh them (aws sso login, aws configure, or the CI secret / OIDC role).',
  DEPLOY_PERMISSION_DENIED: 'The identity lacks an IAM permission: the message above names the action.',
  DEPLOY_QUOTA: 'An AWS rate limit or service quota was hit: retry later, or raise the quota in Service Quotas.',
  DEPLOY_CONFLICT: 'Someone else changed it meanwhile, or an operation is still running: run the deploy again.',
  DEPLOY_NOT_FOUND: 'Check region and cluster in sls-run.yaml (and that the cluster exists in that account).',
}

interface SdkError {
  name?: string
  message?: string
  code?: string
  $fault?: string
  $metadata?: { httpStatusCode?: number; requestId?: string }
}

/** An SlsError for a failed `what` ("RegisterTaskDefinition") against `api` ("ECS"); SlsErrors pass through. */
export function awsError(api: string, what: string, err: unknown, endpoint?: string): Error {
  if (err instanceof SlsError) return err
  const e = (err ?? {}) as SdkError
  if ((err as Error)?.name === 'AbortError') return err as Error
  const status = e.$metadata?.httpStatusCode
  if (status === undefined && !(e.name && BY_NAME[e.name])) {
    const reason = e.code ?? e.message ?? String(err)
    return new SlsError('DEPLOY_UNREACHABLE', `AWS ${api} did not answer ${what}${endpoint ? ` at ${redact(endpoint)}` : ''} (${redact(reason)})`, {
      exitCode: ExitCode.failure,
      cause: err,
      hints: ['Check the network, the region, and AWS_ENDPOINT_URL* in the environment.'],
    })
  }
  const code = (e.name ? BY_NAME[e.name] : undefined) ?? (status !== undefined ? BY_STATUS[status] : undefined) ?? 'DEPLOY_API'
  const message = `AWS ${api} refused ${what}: ${e.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${redact(e.message ?? '')}`.trimEnd()
  return new SlsError(code, message, {
    exitCode: ExitCode.failure,
    cause: err,
    hints: HINTS[code] ? [HINTS[code]!] : [],
    details: { name: e.name, status, requestId: e.$metadata?.requestId },
  })
}
