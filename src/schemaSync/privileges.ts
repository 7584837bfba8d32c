// What SchemaSync's target role needs to create the copy: CREATE on the database for schemas that do
// not exist yet, CREATE on the schemas that do, and a superuser for extensions that are not trusted
// (https://www.postgresql.org/docs/current/sql-createextension.html). Checked at preview, each failure
// naming the role, what is missing and the statement that grants it.

import type { CheckFailure } from "../kernel/check";
import { grantCreateOnDatabase, grantCreateOnSchema } from "../pg/grants";
import type { RoleFacts } from "../pg/roles";
import type { TargetAccess } from "./catalog";

export function targetFailures(role: RoleFacts, access: TargetAccess): CheckFailure[] {
  if (role.superuser) return [];
  const who = JSON.stringify(role.user);
  const failures: CheckFailure[] = [];
  const missing = access.schemas.filter((s) => !s.exists).map((s) => s.name);
  if (missing.length > 0 && !role.createOnDatabase)
    failures.push({
      property: "target",
      reason: `role ${who} cannot create schema(s) ${missing.map((s) => JSON.stringify(s)).join(", ")} on the target: run ${grantCreateOnDatabase(role.database, role.user)}`,
    });
  for (const s of access.schemas.filter((x) => x.exists && !x.canCreate))
    failures.push({
      property: "target",
      reason: `role ${who} cannot create tables or types in schema ${JSON.stringify(s.name)} on the target: run ${grantCreateOnSchema(s.name, role.user)}`,
    });
  for (const e of access.extensions.filter((x) => x.available && !x.installed && !x.trusted))
    failures.push({
      property: "target",
      reason: `extension ${JSON.stringify(e.name)} is needed on the target and only a superuser may install it (it is not a trusted extension), and role ${who} is not one: have an admin run CREATE EXTENSION ${JSON.stringify(e.name)}; there, then preview again.`,
    });
  return failures;
}
