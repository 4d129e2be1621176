/**
 * Cloud Run list prices the cost meter uses (billing.ts), in US dollars, tier-1 regions. One place to
 * update them: change the figures and `retrieved`, keep `source`.
 *
 * Request-based figures, the request-based free tier and the instance-based vCPU price: taken from the
 * pricing page when the cost meter was written. The instance-based memory price and free tier are the same
 * page's instance-based ("CPU always allocated") row, checked on `retrieved` against stored copies of the
 * page (not a live fetch): confirm them on the next update. docs/emulator.md ("Billing prices") lists them.
 */
export const cloudRunPricing: Pricing = {
  source: 'https://cloud.google.com/run/pricing (tier 1 regions)',
  retrieved: '2026-11-29',
  currency: 'USD',
  /** Billable time is rounded up to this, per busy period of an instance. */
  roundingMs: 100,
  /** CPU only allocated while requests are in flight (`cpuThrottling: true`). */
  requestBased: {
    vcpuSecond: 0.000024,
    gibSecond: 0.0000025,
    perMillionRequests: 0.4,
    freePerMonth: { vcpuSeconds: 180_000, gibSeconds: 360_000, requests: 2_000_000 },
  },
  /** CPU always allocated (`cpuThrottling: false`): the instance's whole lifetime, idle min-instances too; no request fee. */
  instanceBased: {
    vcpuSecond: 0.000018,
    gibSecond: 0.000002,
    perMillionRequests: 0,
    freePerMonth: { vcpuSeconds: 240_000, gibSeconds: 450_000, requests: 0 },
  },
}

export interface PriceRow {
  vcpuSecond: number
  gibSecond: number
  perMillionRequests: number
  freePerMonth: { vcpuSeconds: number; gibSeconds: number; requests: number }
}

export interface Pricing {
  source: string
  retrieved: string
  currency: string
  roundingMs: number
  requestBased: PriceRow
  instanceBased: PriceRow
}

/**
 * AWS Fargate, Linux/x86, us-east-1 on-demand: per-second billing of the task's vCPU and memory from
 * its start to its stop, with a one-minute minimum per task. No request fee, no scale to zero on requests.
 */
export const fargatePricing = {
  source: 'https://aws.amazon.com/fargate/pricing/ (Linux/x86, us-east-1, on-demand)',
  retrieved: '2026-12-06',
  vcpuHour: 0.04048,
  gbHour: 0.004445,
  minimumMs: 60_000,
}

/**
 * Azure Container Apps, Consumption plan: vCPU-seconds and GiB-seconds per replica while it runs, at the
 * active rate while it serves and the idle rate otherwise (learn.microsoft.com/azure/container-apps/billing),
 * plus a per-request fee. The monthly free grant (180 000 vCPU-s, 360 000 GiB-s, 2 M requests per
 * subscription) is not subtracted unless asked for: it is shared by everything in the subscription.
 */
export const containerAppsPricing = {
  source: 'https://azure.microsoft.com/pricing/details/container-apps/ (Consumption plan) and learn.microsoft.com/azure/container-apps/billing',
  retrieved: '2026-12-06',
  active: { vcpuSecond: 0.000024, gibSecond: 0.000003 },
  idle: { vcpuSecond: 0.000003, gibSecond: 0.000003 },
  perMillionRequests: 0.4,
  freePerMonth: { vcpuSeconds: 180_000, gibSeconds: 360_000, requests: 2_000_000 },
}
