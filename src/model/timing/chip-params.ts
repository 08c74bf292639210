/** The chip parameters the timing backend reads (a subset of the config). */
export interface ChipParams {
  num_sa: number;
  sa_dim: number;
  num_vu: number;
  num_vu_ports: number;
  freq_GHz: number;
  hbm_bw_GBps: number;
  hbm_latency_ns: number;
  vmem_size_MB: number;
  use_vu_for_small_matmul: boolean;
}

export const CHIP_PARAM_NAMES: readonly (keyof ChipParams)[] = [
  "num_sa", "sa_dim", "num_vu", "num_vu_ports", "freq_GHz", "hbm_bw_GBps",
  "hbm_latency_ns", "vmem_size_MB", "use_vu_for_small_matmul",
];

export function chipParamsKey(c: ChipParams): string {
  return CHIP_PARAM_NAMES.map((n) => String(c[n])).join("|");
}
