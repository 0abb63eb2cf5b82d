// The worker process as a library, so tests and `npm start` can run it in-process.
export { startWorkers, defaultEngineSettings, STALL_SETTINGS } from './workers';
export type { WorkerProcess, WorkerProcessOptions } from './workers';
export type { WorkerMetrics, CloudRequestObservation } from './worker-metrics';
