/**
 * NPU chips, as data. Values are NeuSim's configs/chips/tpuv*.json merged over
 * NeuSim's ChipConfig defaults (platformxlab/NeuSim, Apache-2.0; see NOTICE).
 */

export type IciTopology = "TORUS_2D" | "TORUS_3D";

export interface ChipSpec {
  /** NeuSim's short chip name ("5p"). */
  name: string;
  num_sa: number;
  sa_dim: number;
  num_vu: number;
  num_vu_ports: number;
  freq_GHz: number;
  hbm_bw_GBps: number;
  hbm_size_GB: number;
  hbm_latency_ns: number;
  vmem_size_MB: number;
  ici_bw_GBps: number;
  ici_latency_ns: number;
  dcn_bw_GBps: number;
  ICI_topology: IciTopology;
  use_vu_for_small_matmul: boolean;
}

/** NeuSim ChipConfig defaults for the fields the chip JSON files leave out. */
const CHIP_DEFAULTS = {
  hbm_latency_ns: 500,
  ici_latency_ns: 3330,
  use_vu_for_small_matmul: true,
} as const;

function chip(spec: Omit<ChipSpec, keyof typeof CHIP_DEFAULTS>): ChipSpec {
  return { ...CHIP_DEFAULTS, ...spec };
}

export const CHIPS: Readonly<Record<string, ChipSpec>> = Object.freeze({
  tpuv2: chip({ name: "2", num_sa: 2, sa_dim: 128, num_vu: 4, num_vu_ports: 2, freq_GHz: 0.7, hbm_bw_GBps: 600, hbm_size_GB: 16, vmem_size_MB: 32, ici_bw_GBps: 125, dcn_bw_GBps: 12.5, ICI_topology: "TORUS_2D" }),
  tpuv3: chip({ name: "3", num_sa: 4, sa_dim: 128, num_vu: 4, num_vu_ports: 2, freq_GHz: 0.94, hbm_bw_GBps: 900, hbm_size_GB: 32, vmem_size_MB: 32, ici_bw_GBps: 164, dcn_bw_GBps: 12.5, ICI_topology: "TORUS_2D" }),
  tpuv4: chip({ name: "4", num_sa: 8, sa_dim: 128, num_vu: 4, num_vu_ports: 4, freq_GHz: 1.05, hbm_bw_GBps: 1200, hbm_size_GB: 32, vmem_size_MB: 128, ici_bw_GBps: 112, dcn_bw_GBps: 12.5, ICI_topology: "TORUS_3D" }),
  tpuv5e: chip({ name: "5e", num_sa: 4, sa_dim: 128, num_vu: 3, num_vu_ports: 3, freq_GHz: 1.5, hbm_bw_GBps: 819, hbm_size_GB: 16, vmem_size_MB: 64, ici_bw_GBps: 100, dcn_bw_GBps: 12.5, ICI_topology: "TORUS_2D" }),
  tpuv5p: chip({ name: "5p", num_sa: 8, sa_dim: 128, num_vu: 6, num_vu_ports: 6, freq_GHz: 1.7, hbm_bw_GBps: 2765, hbm_size_GB: 95, vmem_size_MB: 128, ici_bw_GBps: 200, dcn_bw_GBps: 25, ICI_topology: "TORUS_3D" }),
  tpuv6e: chip({ name: "6e", num_sa: 4, sa_dim: 256, num_vu: 4, num_vu_ports: 4, freq_GHz: 1.75, hbm_bw_GBps: 1640, hbm_size_GB: 32, vmem_size_MB: 128, ici_bw_GBps: 224, dcn_bw_GBps: 25, ICI_topology: "TORUS_2D" }),
  tpuv6p: chip({ name: "6p", num_sa: 8, sa_dim: 256, num_vu: 8, num_vu_ports: 8, freq_GHz: 2.0, hbm_bw_GBps: 7400, hbm_size_GB: 192, vmem_size_MB: 256, ici_bw_GBps: 300, dcn_bw_GBps: 12.5, ICI_topology: "TORUS_3D" }),
});

export const CHIP_IDS = Object.keys(CHIPS);
