/**
 * A worker process for the queue benchmark: one BullMQ worker on a bench
 * queue with the connection and worker options chant-bot's workers use
 * (src/queue/connection.ts workerConnection, src/worker/start-workers.ts), and
 * a processor that returns at once, so what is measured is the queue itself:
 * Redis round trips, locks, pickup. Prints "ready" when it takes jobs.
 */
import { Worker } from "bullmq";
import { keyPrefix, queueSettingsFromEnv, workerConnection } from "../../src/queue/connection.js";

const settings = queueSettingsFromEnv(process.env);
const queueName = process.env.BENCH_QUEUE ?? "bench";
const lockDuration = 60_000;
const worker = new Worker(queueName, async () => ({ ok: true }), {
  connection: workerConnection(settings),
  prefix: keyPrefix(settings),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 1),
  maxStalledCount: 2,
  lockDuration,
  stalledInterval: lockDuration / 2,
});
worker.on("error", (error) => console.error(`worker error: ${error.message}`));
await worker.waitUntilReady();
console.log(`trivial worker ${process.pid}: ready`);
process.once("SIGTERM", () => void worker.close().finally(() => process.exit(0)));
