// README.md as a list of runnable examples: its ```graphql blocks split into operations and its ```sh blocks into
// commands, each with its README line, in order. `<!-- readme-test: skip (reason) -->` on the lines before a block
// (blank lines between allowed) marks it as deliberately not run; the reason is reported.
export interface Example {
  /** 1-based README line of the operation / command */
  line: number;
  kind: 'graphql' | 'sh';
  text: string;
  /** the `## ` heading it is under */
  section: string;
  /** set when its block is marked skip: the reason */
  skip?: string;
}

const SKIP_RE = /^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->\s*$/;
const FENCE_RE = /^```(\w*)\s*$/;

/** GraphQL text without `#` comments (strings kept), same line count. */
export function stripGraphqlComments(text: string): string {
  let out = '', inString = false, inComment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inComment) { if (c === '\n') { inComment = false; out += c; } continue; }
    if (inString) {
      out += c;
      if (c === '\\') { out += text[++i] ?? ''; continue; }
      if (c === '"') inString = false;
      continue;
    }
    if (c === '#') { inComment = true; continue; }
    if (c === '"') inString = true;
    out += c;
  }
  return out;
}

/** Top-level operations of a GraphQL block (`{ … }`, `query … { … }`, `mutation … { … }`), with their first line offset. */
export function splitOperations(block: string, strict = true): { offset: number; text: string }[] {
  const src = stripGraphqlComments(block);
  const ops: { offset: number; text: string }[] = [];
  let depth = 0, start = -1, inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (inString) { if (c === '\\') i++; else if (c === '"') inString = false; continue; }
    if (c === '"') { inString = true; continue; }
    if (depth === 0 && start < 0 && /\S/.test(c)) start = i;
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      const text = src.slice(start, i + 1).trim();
      ops.push({ offset: src.slice(0, start).split('\n').length - 1, text });
      start = -1;
    }
  }
  if (strict && start >= 0 && src.slice(start).trim()) throw new Error(`unbalanced GraphQL block: ${src.slice(start, start + 60)}`);
  return ops;
}

/** Commands of a shell block: one per line (`\` continues), blank and comment-only lines left out. */
export function splitCommands(block: string): { offset: number; text: string }[] {
  const lines = block.split('\n');
  const out: { offset: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let text = lines[i];
    while (/\\\s*$/.test(text) && i + 1 < lines.length) text = text.replace(/\\\s*$/, ' ') + lines[++i];
    if (!text.trim() || /^\s*#/.test(text)) continue;
    out.push({ offset: first, text: text.trim() });
  }
  return out;
}

/** `strict: false` leaves out a block's trailing text that is no operation (SDL excerpts in docs) instead of throwing. */
export function readmeExamples(markdown: string, { strict = true }: { strict?: boolean } = {}): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let section = '(top)';
  for (let i = 0; i < lines.length; i++) {
    if (/^## /.test(lines[i])) section = lines[i].slice(3).trim();
    const fence = FENCE_RE.exec(lines[i]);
    if (!fence) continue;
    const lang = fence[1];
    const open = i;
    let close = i + 1;
    while (close < lines.length && !/^```\s*$/.test(lines[close])) close++;
    i = close;
    if (lang !== 'graphql' && lang !== 'sh' && lang !== 'bash') continue;
    let skip: string | undefined;
    for (let j = open - 1; j >= 0 && (lines[j].trim() === '' || SKIP_RE.test(lines[j].trim())); j--) {
      const m = SKIP_RE.exec(lines[j].trim());
      if (m) { skip = m[1]; break; }
    }
    const body = lines.slice(open + 1, close).join('\n');
    const parts = lang === 'graphql' ? splitOperations(body, strict) : splitCommands(body);
    for (const p of parts) examples.push({ line: open + 2 + p.offset, kind: lang === 'graphql' ? 'graphql' : 'sh', text: p.text, section, skip });
  }
  return examples;
}
