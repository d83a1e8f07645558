/**
 * The docs build from the repository alone: in README.md and every docs/*.md, each
 * relative Markdown link (inline, image or reference definition) names a file or folder
 * that a clone has, each `#anchor` names a heading of the file it points to (GitHub's
 * heading slugs), each repository path written as inline code exists, and nothing points
 * outside the repository (no absolute link, no `..` above the root, no machine path such
 * as /work/ or ../shared/).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** README.md and docs/*.md, as paths relative to the root with `/`. */
const DOCS = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** Folders .gitignore keeps out of a clone (its plain entries; globs such as *.log are files, not folders). */
const IGNORED = readFileSync(join(root, '.gitignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#') && !/[*?[\]!]/.test(l))
  .map((l) => l.replace(/^\//, '').replace(/\/?$/, '/'));

/** Top-level folders of the repository: inline code starting with one of them is a path to check. */
const REPO_DIRS = ['src', 'models', 'scenarios', 'docs', 'test', 'examples', 'bench', 'scripts', 'bin'];

/** Text that names a place outside the repository, anywhere in a doc (code blocks too). */
const OUTSIDE = [/\/work\//, /\.\.\/shared\//, /\bshared\/models\.md\b/];

/** Absolute paths a doc may name: the kernel's and the system's special files, not a machine's files. */
const SYSTEM_PATHS = /^\/(dev|proc|sys)\//;

interface Line {
  /** 1-based line number. */
  n: number;
  text: string;
  /** Inside a fenced code block (or the fence itself). */
  code: boolean;
}

/** The lines of a Markdown text, each marked whether it belongs to a fenced code block. */
function lines(md: string): Line[] {
  const out: Line[] = [];
  let fence: { ch: string; len: number } | undefined;
  md.split('\n').forEach((text, i) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(text);
    if (fence === undefined) {
      if (m) {
        fence = { ch: m[1]![0]!, len: m[1]!.length };
        out.push({ n: i + 1, text, code: true });
      } else out.push({ n: i + 1, text, code: false });
    } else {
      out.push({ n: i + 1, text, code: true });
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(text);
      if (close && close[1]![0] === fence.ch && close[1]!.length >= fence.len) fence = undefined;
    }
  });
  return out;
}

/** A heading's anchor as GitHub makes it: the rendered text, lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link or image: its text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** The anchors of a Markdown text: its ATX headings' slugs (a repeated slug gets -1, -2, …) and HTML id/name attributes. */
function anchors(md: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const l of lines(md)) {
    if (l.code) continue;
    const h = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(l.text);
    if (h) {
      const base = slug(h[1] ?? '');
      const k = seen.get(base) ?? 0;
      seen.set(base, k + 1);
      out.add(k === 0 ? base : `${base}-${k}`);
    }
    for (const a of l.text.matchAll(/<a\s[^>]*\b(?:id|name)\s*=\s*"([^"]+)"/gi)) out.add(a[1]!);
  }
  return out;
}

/** Inline code spans of a line outside code blocks, and the line with them blanked out. */
function codeSpans(text: string): { spans: string[]; rest: string } {
  const spans: string[] = [];
  const rest = text.replace(/(`+)(.+?)\1/g, (_all, ticks: string, body: string) => {
    spans.push(body.trim());
    return ' '.repeat(ticks.length * 2 + body.length);
  });
  return { spans, rest };
}

/** The link targets of a line with its code spans blanked: inline links and images, and reference definitions. */
function linkTargets(rest: string): string[] {
  const out: string[] = [];
  const inline = /!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
  for (const m of rest.matchAll(inline)) out.push(m[1]!);
  const def = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(rest);
  if (def) out.push(def[1]!);
  return out.map((t) => (t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t));
}

/** Is a path, relative to the root with `/`, a file or folder that a clone has? */
function inClone(rel: string): string | undefined {
  if (!existsSync(join(root, rel))) return 'no such file or folder in the repository';
  const withSlash = rel.endsWith('/') ? rel : `${rel}/`;
  const ignored = IGNORED.find((d) => withSlash.startsWith(d));
  if (ignored !== undefined) return `under ${ignored}, which .gitignore keeps out of a clone`;
  return undefined;
}

/** The anchors of each Markdown file of the repository, read once. */
const anchorCache = new Map<string, Set<string>>();
function anchorsOf(rel: string): Set<string> {
  let a = anchorCache.get(rel);
  if (a === undefined) {
    a = anchors(readFileSync(join(root, rel), 'utf8'));
    anchorCache.set(rel, a);
  }
  return a;
}

/**
 * What is wrong with the links and paths of a doc, as `file:line: message`. `file` is the
 * doc's path relative to the root (links resolve from its folder); `text` its content,
 * which need not be what the file on disk holds.
 */
function problems(file: string, text: string): string[] {
  const out: string[] = [];
  const own = anchors(text);
  const docDir = posix.dirname(file);
  for (const l of lines(text)) {
    const at = `${file}:${l.n}`;
    for (const re of OUTSIDE) if (re.test(l.text)) out.push(`${at}: names a place outside the repository (${re.source}): ${l.text.trim()}`);
    for (const m of l.text.matchAll(/(?<![\w.~/:\\-])\/(?:[A-Za-z0-9._-]+\/)+[A-Za-z0-9._-]*/g)) {
      if (!SYSTEM_PATHS.test(m[0])) out.push(`${at}: absolute path ${m[0]}`);
    }
    if (l.code) continue;
    const { spans, rest } = codeSpans(l.text);
    for (const target of linkTargets(rest)) {
      if (target === '') {
        out.push(`${at}: empty link target`);
        continue;
      }
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target);
      if (scheme) {
        if (!['http', 'https', 'mailto'].includes(scheme[1]!.toLowerCase())) out.push(`${at}: link ${target}: a ${scheme[1]}: link leaves the repository`);
        continue;
      }
      if (target.startsWith('/') || target.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(target)) {
        out.push(`${at}: link ${target}: absolute, not relative to the doc`);
        continue;
      }
      const hash = target.indexOf('#');
      const pathPart = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? undefined : target.slice(hash + 1);
      let rel = file;
      if (pathPart !== '') {
        let decoded: string;
        try {
          decoded = decodeURIComponent(pathPart);
        } catch {
          out.push(`${at}: link ${target}: bad percent-encoding`);
          continue;
        }
        const abs = resolve(root, docDir, decoded);
        const r = relative(root, abs);
        if (r === '' ? false : r.startsWith('..') || isAbsolute(r)) {
          out.push(`${at}: link ${target}: outside the repository`);
          continue;
        }
        rel = r.split(sep).join('/') + (decoded.endsWith('/') && r !== '' ? '/' : '');
        const why = inClone(rel === '' ? '.' : rel);
        if (why !== undefined) {
          out.push(`${at}: link ${target}: ${why}`);
          continue;
        }
      }
      if (anchor !== undefined && anchor !== '' && (pathPart === '' || rel.endsWith('.md'))) {
        const set = pathPart === '' ? own : anchorsOf(rel);
        let a = anchor;
        try {
          a = decodeURIComponent(anchor);
        } catch {
          /* checked as written */
        }
        if (!set.has(a)) out.push(`${at}: link ${target}: no heading #${a} in ${pathPart === '' ? file : rel}`);
      }
    }
    for (const span of spans) {
      if (!/^(?:\.\.\/)*[A-Za-z0-9_.-]+\/\S*$/.test(span) || /[*<>{}$|]/.test(span)) continue;
      const first = span.replace(/^(?:\.\.\/)+/, '').split('/')[0]!;
      if (!REPO_DIRS.includes(first)) continue;
      const fromRoot = span.replace(/^(?:\.\.\/)+/, '');
      const fromDoc = relative(root, resolve(root, docDir, span)).split(sep).join('/');
      if (inClone(fromRoot) !== undefined && (fromDoc.startsWith('..') || inClone(fromDoc) !== undefined)) {
        out.push(`${at}: path \`${span}\`: ${inClone(fromRoot)}`);
      }
    }
  }
  return out;
}

describe('the docs link only to what a clone has', () => {
  it('finds README.md and the docs', () => {
    expect(DOCS).toContain('README.md');
    expect(DOCS).toContain('docs/seed-problems.md');
    expect(DOCS.length).toBeGreaterThan(5);
  });

  it.each(DOCS)('%s: every link, anchor and path resolves inside the repository', (file) => {
    expect(problems(file, readFileSync(join(root, file), 'utf8'))).toEqual([]);
  });
});

describe('the link checker can fail', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const seed = readFileSync(join(root, 'docs/seed-problems.md'), 'utf8');
  const last = readme.split('\n').length + 1;

  it('accepts the README as it is and a valid link, anchor and path added to it', () => {
    expect(problems('README.md', readme)).toEqual([]);
    expect(problems('README.md', `${readme}\n[seed §2](docs/seed-problems.md#2-xen-pv-page-table-pages-must-be-read-only-before-they-are-pinned-or-hooked-2011) \`models/xen/pgt_ro.ts\` [top](#mmrace) [scenarios](scenarios/)\n`)).toEqual([]);
  });

  it('reports a link to a file that does not exist', () => {
    expect(problems('README.md', `${readme}\nSee [the guide](docs/no-such-guide.md).\n`)).toEqual([
      `README.md:${last}: link docs/no-such-guide.md: no such file or folder in the repository`,
    ]);
    expect(problems('docs/seed-problems.md', `${seed}\n[v-40](../scenarios/xen/v-40.json)\n`)).toHaveLength(1);
  });

  it('reports an anchor that names no heading, in the same file or another', () => {
    expect(problems('README.md', `${readme}\n[x](#no-such-heading) [y](docs/scenarios.md#no-such-heading)\n`)).toEqual([
      `README.md:${last}: link #no-such-heading: no heading #no-such-heading in README.md`,
      `README.md:${last}: link docs/scenarios.md#no-such-heading: no heading #no-such-heading in docs/scenarios.md`,
    ]);
  });

  it('reports links and paths that leave the repository', () => {
    const bad = [
      '[spec](../shared/models.md)',
      '[spec](/work/shared/models.md)',
      '[up](../../etc/passwd)',
      '[f](file:///etc/hosts)',
      'specified in `shared/models.md` §5',
      'see /home/someone/notes.md',
    ];
    for (const b of bad) expect(problems('docs/por.md', `# t\n\n${b}\n`), b).not.toEqual([]);
    expect(problems('README.md', `${readme}\n[vitest](node_modules/vitest/package.json)\n`)[0]).toMatch(/\.gitignore keeps out of a clone/);
  });

  it('reports a repository path in inline code that does not exist, but not globs or placeholders', () => {
    expect(problems('README.md', '# t\n\n`models/xen/no_such.ts`\n')).toHaveLength(1);
    expect(problems('README.md', '# t\n\n`scenarios/<family>/` `test/fuzz/*` `/dev/zero` `models/xen/pgt_ro.ts`\n')).toEqual([]);
  });

  it('reads every link of a doc: as many targets as `](` outside code, in docs/seed-problems.md', () => {
    let targets = 0;
    let opens = 0;
    for (const l of lines(seed)) {
      if (l.code) continue;
      const { rest } = codeSpans(l.text);
      targets += linkTargets(rest).length;
      opens += rest.split('](').length - 1;
    }
    expect(opens).toBeGreaterThan(80);
    expect(targets).toBe(opens);
  });

  it('does not read links inside code blocks or code spans', () => {
    expect(problems('README.md', '# t\n\n```\n[x](nowhere.md)\n```\n\n`[y](nowhere.md)`\n')).toEqual([]);
  });

  it('makes GitHub heading slugs', () => {
    expect(slug('1. arm64 hibernate / trans_pgd linear-map copy (James Morse reviewing Pavel Tatashin, Aug–Sep 2019)')).toBe(
      '1-arm64-hibernate--trans_pgd-linear-map-copy-james-morse-reviewing-pavel-tatashin-augsep-2019',
    );
    expect(slug('Mutants: a safe scenario that could not fail proves nothing')).toBe('mutants-a-safe-scenario-that-could-not-fail-proves-nothing');
    expect(slug('4. riscv kexec: `set_memory_x` on a PGD-level leaf')).toBe('4-riscv-kexec-set_memory_x-on-a-pgd-level-leaf');
    expect([...anchors('# A\n\n## A\n\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
  });
});
