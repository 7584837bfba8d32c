// The seed's schema (the PostgresML guide's users and blog_posts), plus a third table to add later;
// and the tricky schema (test/fixtures/tricky-schema.sql) that SchemaSync's fidelity tests copy.
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { ROOT } from "./install";
import { startServer, type Major, type TestServer } from "./postgres";

export const SEED_SQL = `
CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(100), created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE blog_posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), title text NOT NULL, body text, published boolean DEFAULT false);
CREATE INDEX blog_posts_user_idx ON blog_posts (user_id);
CREATE TABLE comments (id bigserial PRIMARY KEY, post_id bigint REFERENCES blog_posts(id), body text NOT NULL);
INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada'), ('grace@example.com', 'Grace'), ('linus@example.com', 'Linus');
INSERT INTO blog_posts (user_id, title, body) VALUES (1, 'Hello', 'First post'), (2, 'Compilers', 'On COBOL');
INSERT INTO comments (post_id, body) VALUES (1, 'Nice'), (1, 'Agreed'), (1, 'Classic');
`;

export async function seedPrimary(primary: TestServer, database = "app"): Promise<void> {
  await primary.query(SEED_SQL, [], database);
}

/** Two servers started at once. */
export function startPair(publisher: Major, subscriber: Major): Promise<[TestServer, TestServer]> {
  return Promise.all([startServer({ major: publisher }), startServer({ major: subscriber })]);
}

/**
 * A primary with the seed's tables and rows (or those `seed` makes) and an empty replica, each with
 * database `database`.
 */
export async function seededPair(
  publisher: Major,
  subscriber: Major,
  database = "app",
  seed = SEED_SQL,
): Promise<[TestServer, TestServer]> {
  const [primary, replica] = await startPair(publisher, subscriber);
  await seedPair(primary, replica, database, seed);
  return [primary, replica];
}

/** `database` on both servers, `seed` run in the primary's. */
export async function seedPair(
  primary: TestServer,
  replica: TestServer,
  database = "app",
  seed = SEED_SQL,
): Promise<void> {
  await Promise.all([primary.createDatabase(database), replica.createDatabase(database)]);
  await primary.query(seed, [], database);
}

/** A role like the admin user a managed cloud hands out: not a superuser, and what such a user may do. */
export const CLOUD_ADMIN = { user: "cloudadmin", password: "cloud-Admin-pw-1" };

/**
 * A primary and a replica where everything is done as a managed cloud's admin role would do it:
 * on each a non-superuser `cloudadmin` with LOGIN, CREATEDB and CREATEROLE owns the database
 * `database`; on the primary it also has REPLICATION (RDS's rds_replication) and created the seed's
 * tables; on the replica (PostgreSQL 16+) it is a member of pg_create_subscription.
 */
export async function cloudPair(
  publisher: Major,
  subscriber: Major,
  database = "app",
): Promise<[TestServer, TestServer]> {
  const [primary, replica] = await startPair(publisher, subscriber);
  await cloudDatabases(primary, replica, database);
  await queryAs(primary, CLOUD_ADMIN.user, CLOUD_ADMIN.password, SEED_SQL, database);
  return [primary, replica];
}

/** The cloud admin role and its database `database` on both servers (see cloudPair). */
export async function cloudDatabases(
  primary: TestServer,
  replica: TestServer,
  database: string,
): Promise<void> {
  const { user, password } = CLOUD_ADMIN;
  const db = `"${database.replace(/"/g, '""')}"`;
  await primary.query(`CREATE ROLE ${user} LOGIN CREATEDB CREATEROLE REPLICATION PASSWORD '${password}'`);
  await primary.query(`CREATE DATABASE ${db} OWNER ${user}`);
  await replica.query(`CREATE ROLE ${user} LOGIN CREATEDB CREATEROLE PASSWORD '${password}'`);
  if (replica.major >= 16) await replica.query(`GRANT pg_create_subscription TO ${user}`);
  await replica.query(`CREATE DATABASE ${db} OWNER ${user}`);
}

/** Runs `sql` on `server` as `user` over TCP (password authentication, as a remote client). */
export async function queryAs(
  server: TestServer,
  user: string,
  password: string,
  sql: string,
  database = "app",
): Promise<Record<string, unknown>[]> {
  const c = new Client({ host: server.host, port: server.port, user, password, database });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

/** A postgres:// URI for `user` on `server`. */
export function roleUrl(server: TestServer, user: string, password: string, database = "app"): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${server.host}:${server.port}/${encodeURIComponent(database)}`;
}

/** Every kind of object SchemaSync copies, in schemas "app" and "Mixed Schema". */
export const TRICKY_SQL = fs.readFileSync(path.join(ROOT, "test", "fixtures", "tricky-schema.sql"), "utf8");

/** The tricky schema's tables that are not partitions (partitions come with their parent). */
export async function trickyRootTables(server: TestServer): Promise<{ schema: string; name: string }[]> {
  return server.query(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname IN ('app', 'Mixed Schema') ORDER BY 1, 2`,
    [],
    "app",
  );
}
