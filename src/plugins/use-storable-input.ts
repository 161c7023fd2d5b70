import { type DocumentNode, visit } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { unstorableText, unstorableValue } from '../catalog/formats.js';
import { badInput, type FieldIssue } from '../errors/domain-error.js';

/**
 * Input Postgres would refuse — a NUL or a lone surrogate in any string (values and JSON keys
 * alike), a number that is not finite — is refused before execution as BAD_USER_INPUT naming
 * where it is, instead of reaching the database as a 500. The rules are the catalog's
 * (catalog/formats.ts); this applies them to every variable and every literal of the document,
 * so no field can forget. Timestamps are bounded by the DateTime scalar.
 */
export function useStorableInput(): Plugin {
  const literalIssues = new WeakMap<DocumentNode, FieldIssue | null>();
  return {
    onExecute({ args, setResultAndStopExecution }) {
      let issue = literalIssues.get(args.document);
      if (issue === undefined) literalIssues.set(args.document, (issue = unstorableLiteral(args.document)));
      if (!issue && args.variableValues) issue = unstorableValue(args.variableValues, '');
      if (issue) {
        const path = issue.path.replace(/^\./, '');
        setResultAndStopExecution({
          errors: [
            badInput(issue.message.trim() || 'An input holds a value that cannot be stored', [
              { path, message: issue.message.trim() },
            ]),
          ],
        });
      }
    },
  };
}

/** The first string literal or input-object field name of the document Postgres cannot store. */
function unstorableLiteral(ast: DocumentNode): FieldIssue | null {
  let found: FieldIssue | null = null;
  visit(ast, {
    Argument(node) {
      if (found) return false;
      visit(node.value, {
        StringValue(value) {
          const reason = found ? null : unstorableText(value.value);
          if (reason) found = { path: node.name.value, message: `${node.name.value} ${reason}` };
        },
        ObjectField(field) {
          const reason = found ? null : unstorableText(field.name.value);
          if (reason) found = { path: node.name.value, message: `${node.name.value} has a key that ${reason}` };
        },
        FloatValue(value) {
          if (!found && !Number.isFinite(Number(value.value)))
            found = { path: node.name.value, message: `${node.name.value} must be a finite number` };
        },
      });
      return false;
    },
  });
  return found;
}
