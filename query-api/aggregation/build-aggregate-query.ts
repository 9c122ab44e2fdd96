import type { AggregateQuestion, FilterSpec } from "./aggregate-request.ts";
import { DIMENSIONS, INTERVAL_SQL, type DimensionName } from "./dimensions.ts";
import { FACT_SOURCES, SOURCE_NAMES, type SourceName } from "./fact-sources.ts";
import { METRICS } from "./metrics.ts";

/** A ClickHouse SELECT and its `{name:Type}` parameters. */
export interface BoundQuery {
  query: string;
  params: Record<string, unknown>;
}

/** Binds user values as parameters p0, p1, … and returns their placeholders. */
class Params {
  readonly values: Record<string, unknown> = {};
  private next = 0;
  bind(value: unknown, type: string): string {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/** The SQL condition of one filter; its values are bound, the dimension's SQL comes from the whitelist. */
function filterSql(dimension: DimensionName, filter: FilterSpec, params: Params): string {
  const { sql, paramType } = DIMENSIONS[dimension];
  if (Array.isArray(filter)) return `${sql} IN ${params.bind(filter, `Array(${paramType})`)}`;
  if (typeof filter === "object") {
    const bounds: string[] = [];
    if (filter.gte !== undefined) bounds.push(`${sql} >= ${params.bind(filter.gte, paramType)}`);
    if (filter.lte !== undefined) bounds.push(`${sql} <= ${params.bind(filter.lte, paramType)}`);
    return bounds.join(" AND ");
  }
  return `${sql} = ${params.bind(filter, paramType)}`;
}

/**
 * The ClickHouse SELECT answering a checked question for one organisation (bound as `{orgId:String}`), ordered
 * deterministically (the asked sort keys, then every grouping key) and without LIMIT, FORMAT or SETTINGS: the caller
 * pages it. Each source the metrics read yields its facts with the chosen date as `f_day`, the grouping keys as `g_*`
 * and every asked measure as `m_*` (0 where the source lacks it); the range and filters apply per source; the union is
 * summed per group, and the metrics are computed from those sums. Identifiers come only from the whitelists.
 */
export function buildAggregateQuery(orgId: string, q: AggregateQuestion): BoundQuery {
  const params = new Params();
  const range = `f_day >= ${params.bind(q.from, "Date32")} AND f_day <= ${params.bind(q.to, "Date32")}`;
  const filters = (Object.entries(q.filters) as [DimensionName, FilterSpec][]).map(([d, f]) => filterSql(d, f, params));

  const measuresOf = new Map<SourceName, Set<string>>();
  for (const metric of q.metrics) {
    for (const [source, measures] of Object.entries(METRICS[metric].measures) as [SourceName, string[]][]) {
      const set = measuresOf.get(source) ?? new Set<string>();
      for (const measure of measures) set.add(measure);
      measuresOf.set(source, set);
    }
  }
  const measures = [...new Set([...measuresOf.values()].flatMap((set) => [...set]))];
  const keys = [...(q.interval ? ["bucket"] : []), ...q.groupBy];
  const weddingDay = q.dateField === "wedding" || q.groupBy.includes("weddingMonth") || "weddingMonth" in q.filters;

  const parts = SOURCE_NAMES.filter((name) => measuresOf.has(name)).map((name) => {
    const source = FACT_SOURCES[name];
    const asked = measuresOf.get(name)!;
    const columns = [
      ...(q.interval ? [`${INTERVAL_SQL[q.interval]} AS g_bucket`] : []),
      // Text keys lose LowCardinality so every part of the union has the same column types.
      ...q.groupBy.map(
        (d) => `${DIMENSIONS[d].type === "string" ? `toString(${DIMENSIONS[d].sql})` : DIMENSIONS[d].sql} AS g_${d}`,
      ),
      ...measures.map((m) => `${asked.has(m) ? source.measures[m] : "toInt64(0)"} AS m_${m}`),
    ];
    return `
    SELECT ${q.dateField === "occurred" ? "toDate32(f_at)" : "f_wedding_day"} AS f_day, ${columns.join(", ")}
    FROM (${source.sql({ weddingDay })})
    WHERE ${[range, ...filters].join(" AND ")}`;
  });

  const grouped = keys.map((k) => `g_${k}`);
  const outputs = [
    ...(q.interval ? ["toString(g_bucket) AS bucket"] : []),
    ...q.groupBy.map((d) => (DIMENSIONS[d].type === "string" ? `nullIf(g_${d}, '') AS ${d}` : `g_${d} AS ${d}`)),
    ...q.metrics.map((m) => `${METRICS[m].sql} AS ${m}`),
  ];
  // A text key is '' when not given, which sorts first ascending, as null does for integer keys.
  const sortKey = (field: string) => (field === "bucket" || field in DIMENSIONS ? `g_${field}` : field);
  const asked = q.orderBy.map(
    ({ field, direction }) => `${sortKey(field)} ${direction === "asc" ? "ASC NULLS FIRST" : "DESC NULLS LAST"}`,
  );
  const ties = keys.filter((k) => !q.orderBy.some((o) => o.field === k)).map((k) => `g_${k} ASC NULLS FIRST`);
  const order = [...asked, ...ties];

  const query = `
SELECT ${outputs.join(", ")}
FROM (
  SELECT ${[...grouped, ...measures.map((m) => `sum(m_${m}) AS sum_${m}`)].join(", ")}
  FROM (${parts.join("\n    UNION ALL")}
  )
  ${grouped.length > 0 ? `GROUP BY ${grouped.join(", ")}` : ""}
)
${order.length > 0 ? `ORDER BY ${order.join(", ")}` : ""}`;
  return { query, params: { ...params.values, orgId } };
}
