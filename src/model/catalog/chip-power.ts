/**
 * NeuSim's chip power constants (configs/chips/tpuv*.json over ChipConfig's
 * defaults), for the energy model. Catalog data, like chips.ts.
 */
export interface ChipPower {
  static_power_W_per_sa: number;
  static_power_W_per_vu: number;
  static_power_vmem_W: number;
  static_power_ici_W: number;
  static_power_hbm_mc_W: number;
  static_power_hbm_phy_W: number;
  static_power_other_W: number;
  dynamic_power_W_per_SA: number;
  dynamic_power_W_per_VU: number;
  dynamic_power_vmem_W: number;
  dynamic_power_ici_W_per_GBps: number;
  dynamic_power_hbm_W_per_GBps: number;
  dynamic_power_other_W: number;
  embodied_carbon_kgCO2: number;
}

/** ChipConfig's defaults (TPU v5p-like), for chips without their own constants. */
export const CHIPCONFIG_DEFAULT_POWER: Readonly<ChipPower> = {
  static_power_W_per_sa: 1.35868996, static_power_W_per_vu: 0.475076728, static_power_vmem_W: 24.21353615, static_power_ici_W: 6.114104803,
  static_power_hbm_mc_W: 10.264041296, static_power_hbm_phy_W: 15.396061944, static_power_other_W: 44.82811018,
  dynamic_power_W_per_SA: 28.19413333, dynamic_power_W_per_VU: 2.65216, dynamic_power_vmem_W: 50.18368,
  dynamic_power_ici_W_per_GBps: 0.01767315271, dynamic_power_hbm_W_per_GBps: 0.01261538462, dynamic_power_other_W: 0, embodied_carbon_kgCO2: 585,
};

const p = (o: Partial<ChipPower>): ChipPower => ({ ...CHIPCONFIG_DEFAULT_POWER, ...o });

export const CHIP_POWER: Readonly<Record<string, ChipPower>> = Object.freeze({
  tpuv2: p({ static_power_W_per_sa: 2.12, static_power_W_per_vu: 0.74127482825, static_power_vmem_W: 12.93490069, static_power_ici_W: 6.36, static_power_hbm_mc_W: 1.908, static_power_hbm_phy_W: 2.862, static_power_other_W: 21.73, dynamic_power_W_per_SA: 22.55530667, dynamic_power_W_per_VU: 2.121728, dynamic_power_vmem_W: 22.2144, dynamic_power_ici_W_per_GBps: 0.0247047779, dynamic_power_hbm_W_per_GBps: 0.01538461538, embodied_carbon_kgCO2: 296.2083333 }),
  tpuv3: p({ static_power_W_per_sa: 2.9866666675, static_power_W_per_vu: 0.74127482825, static_power_vmem_W: 12.93490069, static_power_ici_W: 8.96, static_power_hbm_mc_W: 4.032, static_power_hbm_phy_W: 6.048, static_power_other_W: 37.11333333, dynamic_power_W_per_SA: 30.28855467, dynamic_power_W_per_VU: 2.8491776, dynamic_power_vmem_W: 29.830784, dynamic_power_ici_W_per_GBps: 0.0247047779, dynamic_power_hbm_W_per_GBps: 0.01538461538, embodied_carbon_kgCO2: 311.8333333 }),
  tpuv4: p({ static_power_W_per_sa: 1.222, static_power_W_per_vu: 0.427282, static_power_vmem_W: 21.777552, static_power_ici_W: 5.499, static_power_hbm_mc_W: 4.006409544, static_power_hbm_phy_W: 6.009614316, static_power_other_W: 41.22229614, dynamic_power_W_per_SA: 16.91648, dynamic_power_W_per_VU: 1.591296, dynamic_power_vmem_W: 30.110208, dynamic_power_ici_W_per_GBps: 0.01767315271, dynamic_power_hbm_W_per_GBps: 0.01538461538, embodied_carbon_kgCO2: 366 }),
  tpuv5e: p({ embodied_carbon_kgCO2: 402 }),
  tpuv5p: p({}),
  tpuv6e: p({ static_power_W_per_sa: 1.777942858, static_power_W_per_vu: 0.1554179582, static_power_vmem_W: 37.07309859, static_power_ici_W: 3.000278571, static_power_hbm_mc_W: 7.10422264, static_power_hbm_phy_W: 10.65633396, static_power_other_W: 41.27610279, dynamic_power_W_per_SA: 31.57742933, dynamic_power_W_per_VU: 0.7426048, dynamic_power_vmem_W: 28.1028608, dynamic_power_ici_W_per_GBps: 0.01262060716, dynamic_power_hbm_W_per_GBps: 0.008830769231, embodied_carbon_kgCO2: 692 }),
  tpuv6p: p({ static_power_W_per_sa: 1.777942858, static_power_W_per_vu: 0.1554179582, static_power_vmem_W: 37.07309859, static_power_ici_W: 3.000278571, static_power_hbm_mc_W: 7.10422264, static_power_hbm_phy_W: 10.65633396, static_power_other_W: 41.27610279, dynamic_power_W_per_SA: 31.57742933, dynamic_power_W_per_VU: 0.7426048, dynamic_power_vmem_W: 28.1028608, dynamic_power_ici_W_per_GBps: 0.01262060716, dynamic_power_hbm_W_per_GBps: 0.008830769231, embodied_carbon_kgCO2: 1384 }),
});
