/**
 * Locust could not measure a cell (no workers, a master that failed or wrote no figures): the
 * engine's failure, not the server's, so bench stops the run instead of marking the server
 * failed. A server that refuses or resets is measured, its requests counted as failures.
 */
export class LocustEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocustEngineError';
  }
}
