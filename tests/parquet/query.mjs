// query.mjs FILE.parquet...: prints, as one JSON list with one entry per
// file, DuckDB's count of the rows of FILE.parquet and, for each row in
// file order, the 5-tuple, byte and packet counts, SPLT lengths, the ip
// columns, TLS SNI and HTTP host.
// Used by parquet_test.go; needs the npm package @duckdb/node-api.
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const results = [];
for (const arg of process.argv.slice(2)) {
const file = arg.replaceAll("'", "''");
const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet('${file}')`);
const rows = await conn.runAndReadAll(`
  SELECT sa, da, pr, sp, dp, bytes_out, num_pkts_out, bytes_in, num_pkts_in,
         packets_b, ip_out_ttl, ip_out_id, ip_in_ttl, ip_in_id,
         list_filter(json_extract_string(tls, '$.c_extensions[*].server_name'), x -> x IS NOT NULL)[1] AS sni,
         list_filter(json_extract_string(http, '$[*].out[*].Host'), x -> x IS NOT NULL)[1] AS http_host
  FROM read_parquet('${file}', file_row_number = true)
  ORDER BY file_row_number`);
results.push({
  count: Number(count.getRowObjects()[0].n),
  rows: rows.getRowObjects().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toPlain(v)]))),
});
}
process.stdout.write(JSON.stringify(results));

function toPlain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'items' in v) return v.items.map(toPlain);
  return v;
}
