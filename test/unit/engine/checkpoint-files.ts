/** What the checkpoint tests share (not a test file itself): rewriting a checkpoint's header. */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Rewrites checkpoint `from` into `to` with its header changed by `edit`, and both hashes
 * (the header's and the whole file's) made right again, following the layout of
 * src/parallel/checkpoint.ts: so that what a test changes is the only thing wrong.
 */
export function withHeader(from: string, to: string, edit: (h: Record<string, any>) => void): void {
  const bytes = readFileSync(from);
  const h = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(44, 44 + h).toString('utf8'));
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(44);
  prefix.write('MMRACECK', 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  createHash('sha256').update(json).digest().copy(prefix, 12);
  const body = Buffer.concat([prefix, json, bytes.subarray(44 + h, bytes.length - 32)]);
  writeFileSync(to, Buffer.concat([body, createHash('sha256').update(body).digest()]));
}
