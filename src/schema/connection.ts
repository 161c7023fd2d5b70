import type { ObjectRef } from '@pothos/core';
import type { Page } from '../services/pagination.js';
import { type BuilderTypes, builder } from './builder.js';

const PageInfo = builder.objectRef<Pick<Page<unknown>, 'endCursor' | 'hasNextPage'>>('PageInfo').implement({
  fields: (t) => ({
    endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass as `after` to get the next page.' }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
  }),
});

/** `<Name>Connection { nodes, pageInfo }` over a service `Page`. */
export function connectionOf<T>(name: string, node: ObjectRef<BuilderTypes, T>) {
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      nodes: t.field({ type: [node], resolve: (page) => page.nodes }),
      pageInfo: t.field({ type: PageInfo, resolve: (page) => page }),
    }),
  });
}

/** `first` and `after` arguments of a paginated field. */
export const pageArgs = builder.args((t) => ({
  first: t.int({ required: false, description: 'Page size, 1-100 (default 20).' }),
  after: t.string({ required: false, description: 'The `endCursor` of the previous page.' }),
}));
