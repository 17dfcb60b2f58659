/** The load engine: runs one cell of N requests at concurrency C and returns ab's figures. */
export { runCell, runCellWithSamples, validateCell, validateTarget, CellSpecError } from './run-cell.ts';
export { DEFAULT_TIMEOUT_MS, abortError, cellStop, type RunOptions, type StopCause } from './common.ts';
export {
  computeCellResult,
  cellSamples,
  countFailures,
  abDerived,
  isNon2xx,
  isComplete,
  FAILURE_KINDS,
  type AbDerived,
  type CellInput,
  type CellSamples,
  type FailureKind,
  type RequestRecord,
} from './ab-figures.ts';
export { runAbClient, resolveHost, type AbClientOptions } from './ab-client.ts';
export { createTransport, rawTransportAvailable, type TransportKind } from './transport.ts';
export { HandshakeTally, handshakeWords, type CellTarget, type TargetTls } from './tls.ts';
export { abRequestText, abRequestBytes, abHostHeader, abHeaders, AB_USER_AGENT } from './ab-request.ts';
export type { RequestShape, RequestShapeRecord } from './ab-request.ts';
export { ResponseScanner, HEADER_SPACE, type FramingFailure } from './response-scan.ts';
