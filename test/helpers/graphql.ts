declare const data: unique symbol;

/** A GraphQL operation's text, carrying the type of its `data` for `world.gql` to infer. */
export type Operation<TData = any> = string & { readonly [data]?: (data: TData) => void };

/**
 * The one way tests write GraphQL: gql`query { … }`, or gql<{ me: { role: string } }>`…` to type
 * the result. The text is exactly the template's (interpolations included); nothing is parsed here.
 */
export function gql<TData = any>(strings: TemplateStringsArray, ...values: unknown[]): Operation<TData> {
  return strings.reduce((text, part, i) => text + part + (i < values.length ? String(values[i]) : ''), '');
}
