/** Content-Type by file extension; anything unknown is served as opaque bytes. */

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  xml: 'application/xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  wasm: 'application/wasm',
  pdf: 'application/pdf',
  woff: 'font/woff',
  woff2: 'font/woff2',
};

export const DEFAULT_TYPE = 'application/octet-stream';

export function contentTypeFor(fileName: string): string {
  const slash = fileName.lastIndexOf('/');
  const dot = fileName.lastIndexOf('.');
  if (dot <= slash + 1) return DEFAULT_TYPE;
  return TYPES[fileName.slice(dot + 1).toLowerCase()] ?? DEFAULT_TYPE;
}
