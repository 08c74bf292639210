import { InputError } from "../errors.js";

/** Which shard this process runs: --shard i/n, or the scheduler's environment (Slurm arrays, Kubernetes Indexed Jobs). */

export interface Shard {
  index: number;
  count: number;
}

export class ShardError extends InputError {}

/** Parse "i/n" (0-based i). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ShardError(`--shard = "${text}": expected i/n, e.g. 0/4 (0-based shard index, number of shards)`);
  return checked(Number(m[1]), Number(m[2]), "--shard");
}

function checked(index: number, count: number, source: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) throw new ShardError(`${source}: the number of shards must be an integer >= 1, got ${count}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw new ShardError(`${source}: shard index ${index} is outside 0..${count - 1}`);
  return { index, count };
}

/**
 * The shard from the environment, when a scheduler set it:
 * - Slurm job arrays: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT
 *   (so --array=0-7 and --array=1-8 both work);
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX, with the count from --shards.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv, shardsOption: number | undefined): Shard | null {
  if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined) {
    if (!/^\d+$/.test(env.SLURM_ARRAY_TASK_ID) || !/^\d+$/.test(env.SLURM_ARRAY_TASK_COUNT) || !/^\d*$/.test(env.SLURM_ARRAY_TASK_MIN ?? "")) {
      throw new ShardError(`SLURM_ARRAY_TASK_ID = "${env.SLURM_ARRAY_TASK_ID}", SLURM_ARRAY_TASK_COUNT = "${env.SLURM_ARRAY_TASK_COUNT}": expected whole numbers`);
    }
    const id = Number(env.SLURM_ARRAY_TASK_ID);
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    return checked(id - min, Number(env.SLURM_ARRAY_TASK_COUNT), "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT");
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (shardsOption === undefined) throw new ShardError("JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job): pass --shards <completions> so each pod knows the number of shards");
    if (!/^\d+$/.test(env.JOB_COMPLETION_INDEX)) throw new ShardError(`JOB_COMPLETION_INDEX = "${env.JOB_COMPLETION_INDEX}": expected a whole number`);
    return checked(Number(env.JOB_COMPLETION_INDEX), shardsOption, "JOB_COMPLETION_INDEX/--shards");
  }
  if (shardsOption !== undefined) {
    throw new ShardError(`--shards ${shardsOption} needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) for the shard index; elsewhere use --shard i/${shardsOption}`);
  }
  return null;
}

/** Folder name of a shard's output: <name>.shard-0003-of-0016 (sorts in index order). */
export function shardDirName(name: string, s: Shard): string {
  const w = Math.max(4, String(s.count).length);
  return `${name}.shard-${String(s.index).padStart(w, "0")}-of-${String(s.count).padStart(w, "0")}`;
}
