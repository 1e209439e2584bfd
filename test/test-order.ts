/**
 * The order test files start in. vitest starts the longest files first once it knows their
 * durations (its results cache, kept in node_modules/.vite after a run); on a fresh clone, which
 * is every CI run, it knows none and falls back on file size. A short file that launches
 * Chromium, spawns processes or synthesizes with the CDK could then start last and hold the run
 * open for its whole length on one core while the other idles. Those files (test/test-kinds.ts
 * `reachesHeavyImport`) start first when any duration is unknown; otherwise vitest's order stands.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { reachesHeavyImport } from './test-kinds.js';

export class HeavyFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    if (sorted.every((spec) => this.ctx.cache.getTestSpecificationResult(spec) !== undefined)) return sorted;
    const heavy = new Set(sorted.filter((spec) => reachesHeavyImport(spec.moduleId, spec.project.config.root)));
    return [...sorted.filter((spec) => heavy.has(spec)), ...sorted.filter((spec) => !heavy.has(spec))];
  }
}
