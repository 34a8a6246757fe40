// PostGraphile's CLI in N node cluster workers sharing one port, the way Hive Gateway's FORK
// runs its workers: bench/run.py gives the peer as many worker processes as crmgraph has on
// the request path. Usage: node cluster.js N <postgraphile cli arguments...>
"use strict";
const cluster = require("node:cluster");
const path = require("node:path");

const workers = Number(process.argv[2]);
if (!Number.isInteger(workers) || workers < 1) {
  console.error("usage: node cluster.js <workers> <postgraphile arguments...>");
  process.exit(2);
}
cluster.setupPrimary({
  // Not require.resolve: the package's exports do not list its CLI.
  exec: path.join(__dirname, "node_modules", "postgraphile", "dist", "cli-run.js"),
  args: process.argv.slice(3),
});
for (let n = 0; n < workers; n++) cluster.fork();
let stopping = false;
cluster.on("exit", (worker, code, signal) => {
  // A worker that dies mid-run would leave fewer workers than recorded: stop loudly.
  if (!stopping) {
    console.error(`postgraphile worker ${worker.process.pid} exited (${signal || code})`);
    process.exitCode = 1;
    shutdown();
  }
});
function shutdown() {
  stopping = true;
  for (const worker of Object.values(cluster.workers)) worker.process.kill("SIGTERM");
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
