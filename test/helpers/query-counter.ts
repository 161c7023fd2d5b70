import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * A Kysely plugin that records every query the database answers, for tests that check how many
 * SQL statements one request issues (STYLE.md item 10: a list of N never issues N queries).
 * Installed by the test world only (`db.withPlugin(counter)`); production never sees it.
 *
 * Counted in `transformResult`, i.e. once per executed statement, inside transactions too:
 * `transformQuery` also runs for subqueries and for `compile()` without execution. A statement
 * that fails has no result and is not counted; BEGIN/COMMIT are driver calls, not queries.
 */
export class QueryCounter implements KyselyPlugin {
  private readonly pending = new WeakMap<QueryId, string>();
  private seen: string[] = [];

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    this.pending.set(queryId, describe(node));
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.seen.push(this.pending.get(queryId) ?? 'query');
    return result;
  }

  /** How many statements ran since the last reset. */
  count(): number {
    return this.seen.length;
  }

  /** What ran since the last reset, as "select tenants", "insert audit_log"…, for failure messages. */
  queries(): string[] {
    return [...this.seen];
  }

  reset(): void {
    this.seen = [];
  }
}

const VERBS: Record<string, string> = {
  SelectQueryNode: 'select',
  InsertQueryNode: 'insert',
  UpdateQueryNode: 'update',
  DeleteQueryNode: 'delete',
  RawNode: 'raw',
};

/** "select tenants": the statement kind and the first table it names. */
function describe(node: RootOperationNode): string {
  const table = firstTable(node);
  return [VERBS[node.kind] ?? node.kind, table].filter(Boolean).join(' ');
}

function firstTable(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const node = value as { kind?: string; table?: { identifier?: { name?: string } } };
  if (node.kind === 'TableNode') return node.table?.identifier?.name;
  for (const child of Object.values(value)) {
    const found = firstTable(child);
    if (found) return found;
  }
  return undefined;
}
