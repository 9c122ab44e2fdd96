/**
 * True when an `If-None-Match` header names the given entity tag (or is `*`), compared weakly as RFC 9110 asks for
 * If-None-Match: `W/"x"` and `"x"` match. A missing or empty header never holds.
 */
export function ifNoneMatchHolds(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === "*") return true;
  const opaque = (t: string) => t.trim().replace(/^W\//, "");
  const wanted = opaque(tag);
  // Entity tags are quoted strings without commas inside (etagc excludes ","), so a comma always separates two.
  return header.split(",").some((candidate) => candidate.trim() !== "" && opaque(candidate) === wanted);
}
