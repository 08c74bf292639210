/** `moesweep schema`: the JSON Schema of sweep specs, for editors. */
import { sweepSpecJsonSchema } from "../../sweep-spec/schema.js";

export const schemaCommand = {
  command: "schema",
  describe: "Print the JSON Schema of sweep spec files (point your editor's YAML/JSON language server at it)",
  builder: {},
  handler: () => {
    process.stdout.write(JSON.stringify(sweepSpecJsonSchema(), null, 2) + "\n");
  },
};
