/**
 * Whether a JSON Schema describes every field an output holds: each field path of the output
 * (`cells[].result.failed.connect`) must lead, through properties, items, $ref and oneOf, to a
 * schema with a `description`. A schema that validates a field only by letting anything through
 * would leave its readers guessing what the field means and in which unit.
 */
type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schemas a value at this point may follow: $ref followed, oneOf and anyOf branches opened. */
function alternatives(root: Schema, schema: Schema): Schema[] {
  const ref = schema.$ref;
  const resolved =
    typeof ref === 'string' && ref.startsWith('#/$defs/')
      ? (root.$defs as Schema)[ref.slice('#/$defs/'.length)]
      : undefined;
  const own = [schema, ...(isSchema(resolved) ? alternatives(root, resolved) : [])];
  const branches = [schema.oneOf, schema.anyOf].flatMap((list) => (Array.isArray(list) ? list.filter(isSchema) : []));
  return [...own, ...branches.flatMap((b) => alternatives(root, b))];
}

/** The schemas of one step of a path: a property name, or `[]` for the items of an array. */
function step(root: Schema, schemas: Schema[], key: string): Schema[] {
  return schemas
    .flatMap((s) => alternatives(root, s))
    .flatMap((s) => {
      if (key === '[]') return isSchema(s.items) ? [s.items] : [];
      const properties = isSchema(s.properties) ? s.properties : {};
      const named = properties[key];
      if (isSchema(named)) return [named];
      return isSchema(s.additionalProperties) ? [s.additionalProperties] : [];
    });
}

/** The output's field paths that the schema does not describe. */
export function undescribedFields(root: Schema, paths: readonly string[]): string[] {
  return paths.filter((path) => {
    const keys = path.split(/\.|(?=\[\])/).map((k) => (k.startsWith('[]') ? '[]' : k));
    let schemas: Schema[] = [root];
    for (const key of keys) schemas = step(root, schemas, key);
    return !schemas.some((s) => typeof s.description === 'string' && s.description.length > 0);
  });
}
