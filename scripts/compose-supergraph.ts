import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { composeServices, compositionHasErrors } from '@theguild/federation-composition';
import { type DocumentNode, type FieldDefinitionNode, type GraphQLError, Kind, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode, parse, print } from 'graphql';

// Composes the supergraph of chat-gateway (schema.graphql) and the moderation example
// subgraph (examples/moderation/schema.graphql):
//
//   npx tsx scripts/compose-supergraph.ts \
//     --chat-gateway http://127.0.0.1:4000/graphql --moderation http://127.0.0.1:4001/graphql \
//     [--out supergraph.graphql]
//
// Errors fail the run (exit 1). Hints go to stderr; see supergraphHints for what they are.

export interface Subgraph {
  name: string;
  /** The GraphQL endpoint the gateway will call. */
  url: string;
  sdl: string;
}

export interface Hint {
  code: string;
  message: string;
}

export class CompositionError extends Error {
  constructor(readonly errors: readonly GraphQLError[]) {
    super(`supergraph composition failed:\n${errors.map((e) => `  [${String(e.extensions.code ?? 'ERROR')}] ${e.message}`).join('\n')}`);
  }
}

const root = new URL('../', import.meta.url);

/** The SDLs this repository composes, with the URLs the gateway will call. */
export function repositorySubgraphs(urls: { chatGateway: string; moderation: string }): Subgraph[] {
  return [
    { name: 'chat-gateway', url: urls.chatGateway, sdl: readFileSync(new URL('schema.graphql', root), 'utf8') },
    { name: 'moderation', url: urls.moderation, sdl: readFileSync(new URL('examples/moderation/schema.graphql', root), 'utf8') },
  ];
}

/** The supergraph SDL; throws CompositionError listing every composition error. */
export function composeSupergraph(subgraphs: Subgraph[]): { supergraphSdl: string; hints: Hint[] } {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (compositionHasErrors(result)) throw new CompositionError(result.errors);
  return { supergraphSdl: result.supergraphSdl, hints: supergraphHints(subgraphs) };
}

type ObjectNode = ObjectTypeDefinitionNode | ObjectTypeExtensionNode;

/**
 * @theguild/federation-composition reports errors only, never hints. These are the hints
 * Apollo's composition would give about types that several subgraphs define (the only
 * place two independently written subgraphs can quietly disagree), with Apollo's codes:
 * an entity in one subgraph that is a plain type in another, a shared field whose type,
 * arguments or description differ.
 */
export function supergraphHints(subgraphs: Subgraph[]): Hint[] {
  const owners = new Map<string, { subgraph: string; node: ObjectNode }[]>();
  for (const { name, sdl } of subgraphs) {
    for (const node of objectTypes(parse(sdl))) {
      owners.set(node.name.value, [...(owners.get(node.name.value) ?? []), { subgraph: name, node }]);
    }
  }
  const hints: Hint[] = [];
  for (const [type, defs] of owners) {
    if (defs.length < 2 || ['Query', 'Mutation', 'Subscription'].includes(type)) continue;
    const keyed = defs.filter((d) => d.node.directives?.some((x) => x.name.value === 'key'));
    if (keyed.length > 0 && keyed.length < defs.length) {
      hints.push({ code: 'INCONSISTENT_ENTITY', message: `${type} is an entity in ${names(keyed)} but not in ${names(defs.filter((d) => !keyed.includes(d)))}` });
    }
    const [first, ...others] = defs;
    for (const other of others) {
      for (const field of other.node.fields ?? []) {
        const same = first?.node.fields?.find((f) => f.name.value === field.name.value);
        if (!first || !same) continue;
        const where = `${type}.${field.name.value} (${first.subgraph}, ${other.subgraph})`;
        if (print(same.type) !== print(field.type)) {
          hints.push({ code: 'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE', message: `${where}: ${print(same.type)} vs ${print(field.type)}` });
        }
        if (signature(same.arguments) !== signature(field.arguments)) {
          hints.push({ code: 'INCONSISTENT_ARGUMENT_PRESENCE', message: `${where}: (${signature(same.arguments)}) vs (${signature(field.arguments)})` });
        }
        if (same.description && field.description && same.description.value !== field.description.value) {
          hints.push({ code: 'INCONSISTENT_DESCRIPTION', message: `${where} is described differently` });
        }
      }
    }
  }
  return hints;
}

function objectTypes(doc: DocumentNode): ObjectNode[] {
  return doc.definitions.filter((d): d is ObjectNode => d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION);
}

function names(defs: { subgraph: string }[]): string {
  return defs.map((d) => d.subgraph).join(', ');
}

function signature(args: FieldDefinitionNode['arguments']): string {
  return (args ?? []).map((a) => `${a.name.value}: ${print(a.type)}`).join(', ');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      'chat-gateway': { type: 'string', default: 'http://127.0.0.1:4000/graphql' },
      moderation: { type: 'string', default: 'http://127.0.0.1:4001/graphql' },
      out: { type: 'string' },
    },
  });
  try {
    const { supergraphSdl, hints } = composeSupergraph(repositorySubgraphs({ chatGateway: values['chat-gateway'], moderation: values.moderation }));
    for (const hint of hints) console.error(`hint [${hint.code}] ${hint.message}`);
    if (values.out) {
      writeFileSync(values.out, supergraphSdl);
      console.error(`supergraph written to ${values.out} (${hints.length} hints)`);
    } else {
      process.stdout.write(`${supergraphSdl}\n`);
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

// Run only as a script; tests import the functions above.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
