/** Which SQL dialect's quoting rules apply when a script is split. */
export type SqlDialect = "postgres" | "clickhouse";

/**
 * Splits a script into its statements on top-level `;`, dropping comments and empty statements. Quotes are honoured
 * so a `;` or `--` inside a literal or identifier stays put: '…' (with '' doubling, and backslash escapes in
 * ClickHouse), "…", `…` (ClickHouse), $tag$…$tag$ (Postgres), line comments and (nested) block comments.
 */
export function splitSqlScript(script: string, dialect: SqlDialect): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  const flush = () => {
    const statement = current.trim();
    if (statement !== "") statements.push(statement);
    current = "";
  };
  while (i < script.length) {
    const char = script[i] as string;
    const next = script[i + 1];
    if (char === "-" && next === "-") {
      const end = script.indexOf("\n", i);
      i = end === -1 ? script.length : end;
      continue;
    }
    if (char === "/" && next === "*") {
      i = skipBlockComment(script, i);
      current += " ";
      continue;
    }
    if (char === "'" || char === '"' || (char === "`" && dialect === "clickhouse")) {
      const end = quotedEnd(script, i, char, dialect === "clickhouse");
      current += script.slice(i, end);
      i = end;
      continue;
    }
    if (char === "$" && dialect === "postgres") {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(script.slice(i))?.[0];
      if (tag !== undefined && !/[A-Za-z0-9_]/.test(script[i - 1] ?? "")) {
        const close = script.indexOf(tag, i + tag.length);
        const end = close === -1 ? script.length : close + tag.length;
        current += script.slice(i, end);
        i = end;
        continue;
      }
    }
    if (char === ";") {
      flush();
      i += 1;
      continue;
    }
    current += char;
    i += 1;
  }
  flush();
  return statements;
}

/** Index just past the block comment opening at start (Postgres nests them). */
function skipBlockComment(script: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < script.length) {
    if (script.startsWith("/*", i)) {
      depth += 1;
      i += 2;
    } else if (script.startsWith("*/", i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return i;
}

/** Index just past the quoted run opening at start with quote; a doubled quote stays inside. */
function quotedEnd(script: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < script.length) {
    const char = script[i];
    if (backslashEscapes && char === "\\") {
      i += 2;
    } else if (char === quote) {
      if (script[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return i;
}
