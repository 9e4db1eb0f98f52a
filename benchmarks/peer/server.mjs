// The peer of benchmarks/api_load.py: the Neo4j GraphQL Library (@neo4j/graphql) on
// Apollo Server, serving the Loanwatch graph from the same Neo4j, so that the same data
// and the same shape can be measured side by side with the same load tool.
//
//   NEO4J_URI=bolt://127.0.0.1:7707 PORT=4100 node server.mjs
//
// One Node.js process (one event loop), as Loanwatch runs one uvicorn process. Neo4j runs
// without authentication here, as the benchmark servers do.

import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const uri = process.env.NEO4J_URI ?? "bolt://127.0.0.1:7687";
const port = Number(process.env.PORT ?? 4100);
const typeDefs = readFileSync(new URL("./schema.graphql", import.meta.url), "utf8");

const driver = neo4j.driver(uri, neo4j.auth.none?.() ?? undefined, {
  maxConnectionPoolSize: 100,
});
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema, introspection: false });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port },
  context: async () => ({}),
});
console.log(`peer ready at ${url} (Neo4j ${uri})`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.stop();
    await driver.close();
    process.exit(0);
  });
}
