/** `moesweep models`: the model catalog, with parameter counts. */
import type { Argv } from "yargs";
import { MODELS, parameterCount } from "../../model/catalog/models.js";
import { table } from "../format.js";

export const modelsCommand = {
  command: "models",
  describe: "List the catalog's models: attention, experts, layers, parameters (billions) and weight bytes",
  builder: (y: Argv) => y.option("json", { type: "boolean", default: false, describe: "print JSON" }),
  handler: (argv: Record<string, unknown>) => {
    const rows = Object.entries(MODELS).map(([name, m]) => {
      const p = parameterCount(m);
      const moe = m.ffn_type !== "llama";
      return {
        name, attention: m.attention_type === "mla" ? "MLA" : m.num_kv_heads < m.num_heads ? `GQA (${m.num_kv_heads} KV heads)` : "MHA",
        ffn: moe ? "MoE" : "dense", experts: moe ? m.num_routed_experts : 0, top_k: moe ? m.num_activated_routed_experts_per_token : 0,
        shared_experts: moe ? m.num_shared_experts : 0, layers: m.num_layers,
        params_total_B: Number((p.total / 1e9).toFixed(2)), params_active_B: Number((p.active / 1e9).toFixed(2)),
        // What the memory footprint assumes, as NeuSim does for its models.
        bytes_per_parameter: m.attention_type === "mla" ? "1 (FFN, FP8), 2 (attention)" : "2 (BF16)",
        neusim_model: ["deepseekv3-671b", "deepseekv2-236b", "llama2-13b", "llama3-8b", "llama3-70b", "llama3_1-405b"].includes(name),
      };
    });
    if (argv.json) process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
    else process.stdout.write(table(Object.keys(rows[0]), rows.map((r) => Object.values(r))) + "\n");
  },
};
