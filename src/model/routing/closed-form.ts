/**
 * Closed forms for uniform routing (each token picks K distinct experts
 * uniformly), as the routing note gives them: the expected most-loaded expert
 * (experts' counts as independent binomials) and the expected busiest device
 * (a normal approximation with Blom's plotting position). Pure.
 */

/** log Gamma(x) for x > 0 (Lanczos, g = 7, n = 9): about 15 significant digits. */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61503916999185,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log(n!) = logGamma(n + 1), tabulated as first asked for (the same doubles; the closed forms ask for thousands per point). */
const LOG_FACTORIAL_TABLE_MAX = 1 << 20;
let logFactorials = new Float64Array(0);
function logFactorial(n: number): number {
  if (n >= LOG_FACTORIAL_TABLE_MAX || !Number.isInteger(n)) return logGamma(n + 1);
  if (n >= logFactorials.length) {
    const grown = new Float64Array(Math.min(LOG_FACTORIAL_TABLE_MAX, Math.max(1024, 2 ** Math.ceil(Math.log2(n + 1)))));
    grown.set(logFactorials);
    for (let k = logFactorials.length; k < grown.length; k++) grown[k] = logGamma(k + 1);
    logFactorials = grown;
  }
  return logFactorials[n];
}

/** E[max of n independent Binomial(T, p)] = sum over x = 0..T-1 of 1 - F(x)^n, over the range where the terms matter. */
export function expectedMaxBinomial(T: number, p: number, n: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return T;
  const mean = T * p, sd = Math.sqrt(T * p * (1 - p));
  // Below lo every term is 1 to double precision (F(lo) < 1e-30); above hi every term is 0.
  const lo = Math.max(0, Math.floor(mean - 12 * sd - 2));
  const hi = Math.min(T - 1, Math.ceil(mean + 12 * sd + 10 + Math.sqrt(2 * Math.log(Math.max(n, 2))) * sd));
  const logP = Math.log(p), logQ = Math.log1p(-p), lgT1 = logFactorial(T);
  // log x! for x = 0..T straight from the table when it covers them (logFactorial(T) grew it so):
  // the same doubles as logFactorial's, without its calls and checks in the loops below.
  const table = Number.isInteger(T) && T < logFactorials.length ? logFactorials : undefined;
  let F = 0;
  if (lo <= 200) for (let x = 0; x < lo; x++) F += binomialPmf(lgT1, T, x, logP, logQ, table); // the lower tail, where it is not negligible
  // Shortcuts that keep every double: while F < 2^(-56/n), F^n < 2^-55 and 1 - F^n is exactly 1;
  // once F is exactly 1 it stays 1 (F is capped there), and every later term is exactly 0.
  const negligible = Math.pow(2, -56 / n);
  let sum = lo;
  for (let x = lo; x <= hi; x++) {
    F = Math.min(1, F + binomialPmf(lgT1, T, x, logP, logQ, table));
    if (F === 1) break;
    sum += F < negligible ? 1 : 1 - Math.pow(F, n);
  }
  return sum;
}

/** Binomial(T, p) at x, from logs (lgT1 = log T!; `table`: log k! for k = 0..T, when it covers them). */
function binomialPmf(lgT1: number, T: number, x: number, logP: number, logQ: number, table: Float64Array | undefined): number {
  const lgX1 = table ? table[x] : logFactorial(x), lgTX1 = table ? table[T - x] : logFactorial(T - x);
  return Math.exp(lgT1 - lgX1 - lgTX1 + x * logP + (T - x) * logQ);
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(q: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  if (q < lowP) {
    const r = Math.sqrt(-2 * Math.log(q));
    return (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
  }
  if (q > 1 - lowP) return -normalQuantile(1 - q);
  const r = q - 0.5, s = r * r;
  return ((((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r) / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
}

export interface UniformClosedForm {
  /** E[max expert tokens] / (T K / E). */
  f: number;
  /** E[max device tokens] / (T K / EP). */
  s: number;
  /** Expected distinct experts with a token on the busiest device. */
  activeExperts: number;
}

/** Uniform routing of T tokens, K of E experts each, over EP devices of g = E / EP experts. */
export function uniformClosedForm(E: number, K: number, EP: number, T: number): UniformClosedForm {
  const u = (T * K) / E;
  const f = expectedMaxBinomial(T, K / E, E) / u;
  let s = 1;
  const g = E / EP;
  if (EP > 1) {
    // A token puts Hypergeometric(E, g, K) picks on a device: Var L_d = T K (g/E)(1 - g/E)(E - K)/(E - 1).
    const sigma = Math.sqrt(((T * K * (g / E) * (1 - g / E) * (E - K)) / (E - 1)));
    const m = normalQuantile((EP - 0.375) / (EP + 0.25));
    const A = (T * K) / EP;
    s = (A + sigma * Math.sqrt(EP / (EP - 1)) * m) / A;
  }
  // Decode weight reads: experts of a device with at least one of its T tokens, at the busiest device.
  const pActive = 1 - Math.pow(1 - K / E, T);
  const activeExperts = expectedMaxBinomial(Math.round(g), pActive, EP);
  return { f, s, activeExperts };
}
