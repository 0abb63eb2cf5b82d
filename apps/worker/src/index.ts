// The worker process as a library, so tests and `npm start` can run it in-process.
export { startWorkers, defaultEngineSettings } from './workers';
export type { WorkerProcess, WorkerProcessOptions } from './workers';
