// Writing the publication: CREATE or ALTER in one transaction that reads the result back before it
// commits (see verify.ts), so a publication is never left publishing something undeclared.

import { operationError } from "../kernel/errors";
import { valueOf } from "../kernel/fields";
import { sameSet } from "../kernel/values";
import { withLockTries } from "../pg/lock";
import type { Session } from "../pg/session";
import { sameTableSets } from "../pg/tables";
import { readPublication, type CatalogPublication } from "./catalog";
import * as sql from "./sql";
import { specs } from "./tables";
import { PUBLICATION_FIELDS } from "./fields";
import { label, type PublicationInputs } from "./types";
import { definitionMismatch } from "./verify";

/** The publication as the inputs declare it, every default applied. */
export function definition(
  inputs: PublicationInputs,
): Required<Omit<sql.PublicationDefinition, "publishGeneratedColumns">> &
  Pick<sql.PublicationDefinition, "publishGeneratedColumns"> {
  const v = <K extends keyof PublicationInputs>(k: K) => valueOf(PUBLICATION_FIELDS, k, inputs[k]);
  return {
    name: inputs.name,
    tables: specs(inputs),
    allTables: v("allTables") as boolean,
    schemas: v("schemas") as string[],
    publish: v("publish") as sql.PublicationDefinition["publish"] & object,
    publishViaPartitionRoot: v("publishViaPartitionRoot") as boolean,
    // Only written when given: servers before 18 do not know the option.
    ...(inputs.publishGeneratedColumns !== undefined
      ? { publishGeneratedColumns: inputs.publishGeneratedColumns }
      : {}),
  };
}

/** Creates the publication, or brings `current` to the declaration, verified before commit. */
export async function writePublication(
  s: Session,
  inputs: PublicationInputs,
  current: CatalogPublication | undefined,
): Promise<void> {
  await applyVerified(s, inputs, current ? "ALTER PUBLICATION" : "CREATE PUBLICATION", async () => {
    if (current) await reconcile(s, current, inputs);
    else {
      await s.exec(sql.createPublication(definition(inputs)));
      // Before the owner changes: COMMENT needs the owner's privileges.
      if (inputs.declaredBy) await s.exec(sql.commentDeclaredBy(inputs.name, inputs.declaredBy));
      if (inputs.owner !== undefined) await s.exec(sql.alterPublicationOwner(inputs.name, inputs.owner));
    }
  });
}

/**
 * Runs `statements` in one transaction and, before it commits, reads the publication back: it must
 * publish exactly what is declared, or everything is rolled back.
 */
async function applyVerified(
  s: Session,
  inputs: PublicationInputs,
  verb: string,
  statements: () => Promise<void>,
): Promise<void> {
  const def = definition(inputs);
  const seconds = valueOf(PUBLICATION_FIELDS, "lockTimeoutSeconds", inputs.lockTimeoutSeconds) as number;
  const bound = { label: label(inputs.name), seconds, where: "primary", tables: def.tables };
  await withLockTries(s, bound, async () => {
    await statements();
    const applied = await readPublication(s, inputs.name);
    const problems = applied ? definitionMismatch(applied, def) : ["it does not exist"];
    if (problems.length > 0)
      throw Object.assign(
        new Error(
          `the publication as applied differs from its declaration (${problems.join("; ")}); nothing was changed. Check the row filters in \`tables\`: each must be one expression about its own table`,
        ),
        { refused: true },
      );
  }).catch((e) => {
    if ((e as { refused?: boolean }).refused)
      throw new Error(`${label(inputs.name)}: ${(e as Error).message}.`);
    throw operationError(label(inputs.name), verb, e, (e as { fix?: string }).fix);
  });
}

/** Brings an existing publication to the wanted definition, in the caller's transaction. */
async function reconcile(s: Session, current: CatalogPublication, inputs: PublicationInputs): Promise<void> {
  const def = definition(inputs);
  if (!def.allTables) {
    if (!sameTableSets(current.tables, def.tables) || !sameSet(current.schemas, def.schemas)) {
      if (def.tables.length > 0 || def.schemas.length > 0)
        await s.exec(sql.alterPublicationSetObjects(def.name, def.tables, def.schemas));
      else if (current.tables.length > 0 || current.schemas.length > 0)
        await s.exec(sql.alterPublicationDropObjects(def.name, current.tables, current.schemas));
    }
  }
  // An option left out returns to PostgreSQL's default (publish_generated_columns: PG18 only).
  const generated =
    def.publishGeneratedColumns ?? (current.publishGeneratedColumns !== undefined ? "none" : undefined);
  const optionsDiffer =
    !sameSet(current.publish, def.publish) ||
    current.publishViaPartitionRoot !== def.publishViaPartitionRoot ||
    (current.publishGeneratedColumns ?? "none") !== (generated ?? "none");
  if (optionsDiffer)
    await s.exec(
      sql.alterPublicationOptions({
        ...def,
        ...(generated !== undefined ? { publishGeneratedColumns: generated } : {}),
      }),
    );
  if (inputs.owner !== undefined && inputs.owner !== current.owner)
    await s.exec(sql.alterPublicationOwner(def.name, inputs.owner));
}
