/**
 * The dependency rule: no folder of src/ imports a folder that imports it back (directly or
 * through others), and src/contracts depends on no other part of the bridge.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** A folder of src/, or a file at its top level (each its own module). */
function moduleOf(file: string): string | undefined {
  const rel = relative(SRC, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  return parts.length > 1 ? `${parts[0]}/` : parts[0];
}

function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const from = moduleOf(file) as string;
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = moduleOf(normalize(join(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'))));
      if (target !== undefined && target !== from) edges.add(target);
    }
  }
  return graph;
}

function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'visiting');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

it('has no import cycle between the folders of src/', () => {
  const graph = importGraph();
  expect(graph.get('mappers/')).toContain('contracts/');
  expect(findCycle(graph)).toBeUndefined();
});

it('finds a cycle when there is one (the check itself can fail)', () => {
  const graph = new Map([
    ['a/', new Set(['b/'])],
    ['b/', new Set(['c/'])],
    ['c/', new Set(['a/'])],
  ]);
  expect(findCycle(graph)).toEqual(['a/', 'b/', 'c/', 'a/']);
});

it('keeps src/contracts free of dependencies on the rest of the bridge', () => {
  expect([...(importGraph().get('contracts/') ?? [])]).toEqual([]);
});

it('keeps src/ (the local stack included) free of imports from test/', () => {
  const TEST = fileURLToPath(new URL('./', import.meta.url));
  const offenders = sourceFiles(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)]
      .map((match) => normalize(join(dirname(file), match[1] as string)))
      .filter((target) => !relative(TEST, target).startsWith('..'))
      .map((target) => `${relative(SRC, file)} → ${relative(TEST, target)}`),
  );
  expect(offenders).toEqual([]);
});

