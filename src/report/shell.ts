/** Commands the reports print for the reader to paste into a POSIX shell. */

/** Shell-quotes an argument when it needs it. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
