/** The power constants the energy model uses for a config's chip: the catalog's, or its NeuSim chip file's. */
import { CHIP_POWER, type ChipPower } from "../catalog/chip-power.js";
import { chipFilePower } from "../catalog/neusim-files.js";

export type { ChipPower };

/** A chip's power constants: its catalog entry, or a NeuSim chip file's (its power fields over ChipConfig's defaults). */
export function chipPower(chip: string): ChipPower {
  const own = Object.hasOwn(CHIP_POWER, chip) ? CHIP_POWER[chip] : chipFilePower(chip);
  if (!own) throw new Error(`chip ${chip}: no power constants (not in the catalog, and no chip file registered under that name)`);
  return own;
}
