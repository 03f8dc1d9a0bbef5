// Reads a Parquet file with DuckDB and prints, as one JSON object, its
// schema as DuckDB sees it and a few figures computed by DuckDB, so that
// the Go test can check the export with a reader that is not parquet-go.
// Usage: node read.mjs FILE.parquet
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const src = `read_parquet('${file.replaceAll("'", "''")}')`;
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const out = {
  schema: await rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${src})`),
  nodes: await rows(`SELECT node, status, strftime(window_start AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS window_start,
      shard, count, epoch(first)::BIGINT AS first, epoch(last)::BIGINT AS last, error, len(buckets) AS nbuckets,
      list_sum([b.count FOR b IN buckets]) AS bucket_sum,
      strftime(buckets[1].bucket AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS first_bucket
    FROM ${src} ORDER BY node`),
  hourly: await rows(`SELECT count(*) AS cells FROM (SELECT node, unnest(buckets) AS b FROM ${src})`),
};
console.log(JSON.stringify(out));
