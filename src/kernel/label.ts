// How messages name a resource: its kind, then what tells it apart (a name, a section, the
// publication it copies), e.g. `Subscription "orders"` or `SchemaSync (post-data) of publication "app"`.

export function resourceLabel(kind: string, name?: string, detail?: string): string {
  return [kind, detail ? `(${detail})` : undefined, name !== undefined ? JSON.stringify(name) : undefined]
    .filter((x) => x !== undefined)
    .join(" ");
}
