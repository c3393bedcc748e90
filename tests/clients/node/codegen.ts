// GraphQL Code Generator, strict: every scalar must be mapped, and the service's are (Date and DateTime are ISO 8601
// text on the wire, as their @specifiedBy says; JSON is any JSON value).
// README: codegen
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql", // the service's SDL, from GET /schema.graphql
  documents: "codegen/*.graphql",
  generates: {
    "codegen/generated/types.ts": {
      plugins: ["typescript-operations"], // with the enums and inputs the operations use
      config: { strictScalars: true, scalars: { Date: "string", DateTime: "string", JSON: "unknown" } },
    },
  },
};
export default config;
// README end
