/**
 * Before an app that pulls from Azure Container Registry is created or updated: does the identity that pulls
 * (the `registries[].identity` the plan names) hold a role that lets it pull from the registry? Microsoft's
 * procedure (https://learn.microsoft.com/en-us/azure/container-apps/managed-identity-image-pull) is an identity
 * with AcrPull on the registry; pulling is also allowed by AcrPush, Reader, Contributor and Owner
 * ("Azure Container Registry roles and permissions", https://learn.microsoft.com/en-us/azure/container-registry/container-registry-roles).
 *
 * What is read, with the deployer's credentials:
 * 1. the identity's principal: a user-assigned identity's `properties.principalId` (GET of the identity), or the
 *    app's own `identity.principalId` when it already has a system-assigned identity. A system-assigned identity is
 *    created with the app, so before the app exists (or before it has one) it cannot hold AcrPull yet ("System-
 *    assigned identities are created at the time your container app is created, and therefore, won't have AcrPull
 *    access", https://learn.microsoft.com/en-us/azure/container-apps/containers#container-registries): the deploy
 *    stops before creating anything and says how to go on (DEPLOY_PERMISSION_DENIED);
 * 2. the registry's resource id: the subscription's registries (Registries - List), by login server;
 * 3. the principal's role assignments on the registry: `GET {registry}/providers/Microsoft.Authorization/
 *    roleAssignments?$filter=assignedTo('{principalId}')` (at, above and below the registry, groups included).
 *
 * No role that pulls → DEPLOY_PERMISSION_DENIED with the `az role assignment create` to run. A step the deployer
 * may not read (403), or a registry outside the subscription, skips the check with a warning: the deploy goes on
 * and Container Apps reports a failed pull itself. Roles other than the built-in ones may grant pull (custom
 * roles): they are not expanded, a warning says so.
 */
import { ExitCode, SlsError } from '../../../../errors.js'
import type { DeployContext } from '../../types.js'
import { arm, expectArm } from './arm.js'
import { armBase, PLATFORM, type AzureSession } from './auth.js'
import { ACR_API_VERSION, AUTHORIZATION_API_VERSION, MANAGED_IDENTITY_API_VERSION } from './ids.js'

/** Built-in roles that may pull (container-registry-roles, above), by role definition GUID (https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles). */
export const PULL_ROLES: Record<string, string> = {
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
  '8311e382-0749-4cb8-b61a-304f252e45ec': 'AcrPush',
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
}

export interface PullTarget {
  /** The registry's login server, e.g. shopacr.azurecr.io. */
  server: string
  /** `system` or a user-assigned identity's resource id. */
  identity: string
}

interface Context {
  session: AzureSession
  ctx: DeployContext
  subscription: string
  /** The app's name, for messages and commands. */
  app: string
  resourceGroup: string
  /** The app's own system-assigned principal, when it already has one. */
  systemPrincipal: string | null
  warn: (message: string) => void
  note: (message: string) => void
}

const PAGE_LIMIT = 20

async function list<T>(c: Context, url: string): Promise<{ status: number; items: T[] }> {
  const items: T[] = []
  let next: string | undefined = url
  for (let page = 0; next && page < PAGE_LIMIT; page++) {
    const res = await arm(c.session, c.ctx, 'GET', next)
    if (res.status < 200 || res.status >= 300) return { status: res.status, items }
    const json = (res.json ?? {}) as { value?: T[]; nextLink?: string }
    items.push(...(json.value ?? []))
    // A nextLink is followed only on the same ARM endpoint (the token goes nowhere else).
    next = json.nextLink && new URL(json.nextLink).origin === new URL(c.session.arm).origin ? json.nextLink : undefined
  }
  return { status: 200, items }
}

const grant = (principal: string, scope: string) => `az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal --role AcrPull --scope ${scope}`
const WHO_GRANTS =
  'Granting a role needs Microsoft.Authorization/roleAssignments/write on the registry (Owner, User Access Administrator or Role Based Access Control Administrator): run it yourself, or ask someone who has it.'

async function principalOf(c: Context, target: PullTarget): Promise<string | null> {
  if (target.identity === 'system') {
    if (c.systemPrincipal) return c.systemPrincipal
    throw new SlsError(
      'DEPLOY_PERMISSION_DENIED',
      `${PLATFORM}: container app ${c.app} would pull from ${target.server} with its system-assigned identity, which Azure creates with the app: it cannot have AcrPull on the registry yet, so the first revision could not pull the image. Nothing was created`,
      {
        exitCode: ExitCode.failure,
        hints: [
          'Recommended: create a user-assigned identity once, give it AcrPull on the registry, and set identity: to its resource id (az identity create -g <group> -n <name>; then az role assignment create --assignee-object-id <its principalId> --assignee-principal-type ServicePrincipal --role AcrPull --scope <registry id>).',
          `Or keep identity: system and create the app's identity first: az containerapp create -n ${c.app} -g ${c.resourceGroup} --environment <environment> --image mcr.microsoft.com/k8se/quickstart:latest --system-assigned; give its principalId AcrPull on the registry; then deploy again.`,
          WHO_GRANTS,
        ],
      },
    )
  }
  const res = await arm(c.session, c.ctx, 'GET', `${armBase(c.ctx.env)}${target.identity}?api-version=${MANAGED_IDENTITY_API_VERSION}`)
  if (res.status === 404) {
    throw new SlsError('DEPLOY_NOT_FOUND', `${PLATFORM}: the user-assigned identity ${target.identity} (identity: setting) does not exist`, {
      exitCode: ExitCode.failure,
      hints: ['Create it (az identity create) or correct the identity: setting; the resource id is `az identity show -g <group> -n <name> --query id -o tsv`.'],
    })
  }
  if (res.status === 403) {
    c.warn(`cannot read identity ${target.identity} (HTTP 403), so its AcrPull on ${target.server} is not checked`)
    return null
  }
  const principal = (expectArm(`read identity ${target.identity}`, res).json as { properties?: { principalId?: string } } | null)?.properties?.principalId
  if (!principal) {
    c.warn(`identity ${target.identity} has no principalId yet, so its AcrPull on ${target.server} is not checked`)
    return null
  }
  return principal
}

async function registryIdOf(c: Context, server: string): Promise<string | null> {
  const { status, items } = await list<{ id?: string; properties?: { loginServer?: string } }>(
    c,
    `${armBase(c.ctx.env)}/subscriptions/${c.subscription}/providers/Microsoft.ContainerRegistry/registries?api-version=${ACR_API_VERSION}`,
  )
  if (status !== 200) {
    c.warn(`cannot list the container registries of subscription ${c.subscription} (HTTP ${status}), so the pull from ${server} is not checked`)
    return null
  }
  const found = items.find((r) => r.properties?.loginServer?.toLowerCase() === server.toLowerCase())
  if (!found?.id) {
    c.warn(`registry ${server} is not among the registries of subscription ${c.subscription} (another subscription?), so its AcrPull is not checked`)
    return null
  }
  return found.id
}

/** Stops the deploy when the identity that pulls has no role on the registry that allows pulling. */
export async function checkPull(c: Context, target: PullTarget): Promise<void> {
  const principal = await principalOf(c, target)
  if (!principal) return
  const registryId = await registryIdOf(c, target.server)
  if (!registryId) return
  const filter = encodeURIComponent(`assignedTo('${principal}')`)
  const { status, items } = await list<{ properties?: { roleDefinitionId?: string; scope?: string } }>(
    c,
    `${armBase(c.ctx.env)}${registryId}/providers/Microsoft.Authorization/roleAssignments?$filter=${filter}&api-version=${AUTHORIZATION_API_VERSION}`,
  )
  const who = target.identity === 'system' ? `container app ${c.app}'s system-assigned identity (principal ${principal})` : `identity ${target.identity} (principal ${principal})`
  if (status !== 200) {
    c.warn(`cannot read the role assignments on ${registryId} (HTTP ${status}), so whether ${who} may pull from ${target.server} is not checked`)
    return
  }
  const roles = items.map((a) => (a.properties?.roleDefinitionId ?? '').split('/').pop()!.toLowerCase())
  const pulling = roles.map((r) => PULL_ROLES[r]).filter(Boolean)
  if (pulling.length) {
    c.note(`${who} may pull from ${target.server} (${[...new Set(pulling)].join(', ')})`)
    return
  }
  if (roles.length) {
    c.warn(
      `${who} has no built-in role that pulls from ${target.server} (AcrPull, AcrPush, Reader, Contributor, Owner), only ${roles.length === 1 ? 'a role' : 'roles'} ${roles.join(', ')}; if none of them grants pull, the revision will fail to pull: ${grant(principal, registryId)}`,
    )
    return
  }
  throw new SlsError('DEPLOY_PERMISSION_DENIED', `${PLATFORM}: ${who} has no role on registry ${target.server}, so container app ${c.app} could not pull its image. Nothing was changed`, {
    exitCode: ExitCode.failure,
    hints: [`Give it AcrPull on the registry: ${grant(principal, registryId)}`, WHO_GRANTS, 'Role assignments can take a few minutes to take effect; deploy again then.'],
  })
}

export type { Context as PullContext }
