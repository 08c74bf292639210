/** evaluate() for property tests: null where the model rejects the configuration (a ConfigError). */
import { ConfigError, type ConfigInput } from "../../src/model/config.js";
import { evaluate, type Evaluation } from "../../src/model/evaluate.js";

export function evaluateOrNull(c: ConfigInput): Evaluation | null {
  try {
    return evaluate(c);
  } catch (err) {
    if (err instanceof ConfigError) return null;
    throw err;
  }
}
