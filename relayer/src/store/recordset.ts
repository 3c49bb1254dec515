/**
 * Many rows in one statement: the rows travel as a single JSON parameter and `jsonb_to_recordset`
 * turns them back into a table inside the database. One round trip writes a whole block range, on
 * PGlite and PostgreSQL alike, with no limit on the number of bind parameters.
 */

/** Column name to SQL type, in the order the statement lists them. */
export type RecordsetColumns = Readonly<Record<string, string>>;

/**
 * A `FROM` item reading the JSON array in parameter `param` as rows named `alias`, numbered by
 * `ordinality` in array order (ORDER BY it where insertion order matters, e.g. serial columns).
 */
export function recordsetFrom(param: string, columns: RecordsetColumns, alias = "x"): string {
  const names = Object.keys(columns);
  const definition = names.map((name) => `${name} ${columns[name]}`).join(", ");
  // A column definition list and WITH ORDINALITY only combine inside ROWS FROM.
  return `ROWS FROM (jsonb_to_recordset(${param}::jsonb) AS (${definition})) WITH ORDINALITY AS ${alias}(${names.join(", ")}, ordinality)`;
}

/**
 * The JSON for `recordsetFrom`: bigint becomes a decimal string (JSON numbers lose precision past
 * 2^53; PostgreSQL parses the string into bigint and numeric columns exactly).
 */
export function recordsetJson(rows: readonly Record<string, unknown>[]): string {
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
}
