/**
 * GitHub Actions workflow commands: an `::error` annotation per surprise, shown on the
 * run's summary and, in a pull request, on the line of the model file that defines the
 * failing step or invariant (else on the scenario file). The same cases are reported as in
 * SARIF (findingOf): a green run prints none.
 */
import { oneLine } from './escape.js';
import { findingOf, type SarifCase } from './sarif.js';

/**
 * Escapes a command's message as the runner reads it (actions/toolkit's escapeData): a raw
 * line break would end the command and let the rest of a model's message start another.
 * The other control characters (ESC, BEL, ...), which GitHub's rules leave as they are,
 * are spelled out (`oneLine`): the line is in the log too.
 */
export function escapeData(s: string): string {
  return oneLine(s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'));
}

/**
 * Escapes a property value (escapeProperty): besides line breaks, `:` and `,` would end
 * the value early, and let a file name or a title add properties or begin the message.
 */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line per case that needs attention, in the order of `cases`. */
export function githubAnnotations(cases: readonly SarifCase[]): string[] {
  const lines: string[] = [];
  for (const c of cases) {
    const f = findingOf(c);
    if (f === null) continue;
    const [file, line] = c.modelFile !== undefined && c.modelLine !== undefined ? [c.modelFile, c.modelLine] : [c.scenarioFile, 1];
    const props = `file=${escapeProperty(file)},line=${line},title=${escapeProperty(`mmrace ${f.title}`)}`;
    lines.push(`::${f.level} ${props}::${escapeData(f.text)}`);
  }
  return lines;
}
