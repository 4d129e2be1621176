/**
 * A small seeded PRNG for `sls-run simulate`: the same seed gives the same trace on every machine and
 * Node version (Math.random cannot be seeded). xoshiro128** (Blackman & Vigna): 128 bits of state,
 * period 2^128 − 1, good statistical quality, and only 32-bit integer operations, which V8 runs fast.
 *
 * A `stream` number gives independent sequences from one seed: the generators draw arrival times from
 * stream 0 and service times from stream 1, so changing `service=` never moves the arrivals.
 */

const TWO_32 = 4_294_967_296

/** A 32-bit mixing step (SplitMix32-style): spreads the seed's bits over the four state words. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

export class Random {
  private a: number
  private b: number
  private c: number
  private d: number
  /** Box–Muller makes normals two at a time: the second one waits here. */
  private spare = Number.NaN

  /** `seed`: any integer (up to 2^53); `stream`: which of the seed's independent sequences. */
  constructor(seed: number, stream = 0) {
    const value = Math.trunc(Math.abs(seed))
    let state = mix32((value >>> 0) ^ mix32(Math.floor(value / TWO_32) ^ mix32(stream ^ (seed < 0 ? 0x5bd1e995 : 0))))
    const word = () => {
      state = (state + 0x9e3779b9) >>> 0
      return mix32(state)
    }
    this.a = word()
    this.b = word()
    this.c = word()
    this.d = word()
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1 // the one state xoshiro cannot leave
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    const b = this.b
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    this.c ^= this.a
    this.d ^= b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return r / TWO_32
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next()
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Exponential with this mean (the gap between Poisson arrivals: mean = 1 / rate). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean // 1 − u is in (0, 1]: log never sees 0
  }

  /** Standard normal (mean 0, standard deviation 1), by Box–Muller. */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare
      this.spare = Number.NaN
      return z
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()))
    const angle = 2 * Math.PI * this.next()
    this.spare = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }

  /** Lognormal with this median (e^μ) and σ of the underlying normal; its mean is median · e^(σ²/2). */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal())
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
