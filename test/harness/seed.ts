// The seed's schema (the PostgresML guide's users and blog_posts), plus a third table to add later.
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

/** A primary with the seed's tables and rows and an empty replica, each with database `database`. */
export async function seededPair(
  publisher: Major,
  subscriber: Major,
  database = "app",
): Promise<[TestServer, TestServer]> {
  const [primary, replica] = await Promise.all([
    startServer({ major: publisher }),
    startServer({ major: subscriber }),
  ]);
  await Promise.all([primary.createDatabase(database), replica.createDatabase(database)]);
  await seedPrimary(primary, database);
  return [primary, replica];
}
