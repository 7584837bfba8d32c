// Stacks created by 0.1.0 saved a provider that requires "pulumi-pg-replication/dist/schemaSyncProvider.js"
// (package.json maps that path here); refresh and destroy run it until the next `up` saves the new one.
export { provider } from "../schemaSync/provider";
