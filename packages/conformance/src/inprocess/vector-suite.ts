/**
 * The vector files of specs/whisper-v6/vectors (SPEC §8), specs/noise/vectors (SPEC §5) and
 * specs/mixnet-sphinx/vectors (SPEC §3–§5, §7) as cases of the in-process suite: one case per
 * vector, each with the spec and the section it checks. The files are recognised and each case
 * checked by the runner of `hush-conformance vectors` (`readVectorFiles`, `checkVectorCase`):
 * this module only names the sections and turns verdicts into outcomes.
 *
 * Sections, by file (whisper-v6 SPEC §8's table names every section a file touches; a case
 * is reported under the one its check is about):
 * - whisper-v6: params.json §1.3; topic-bloom.json §2.2; bloom-match.json §2.3 (a filter
 *   aggregated from several topics), §2.5 (absent, full or empty filter), else §2.4;
 *   envelope-rlp.json §3.2; seal-pow.json §4.4 (mode `target`), §4.5 (`none`, `timed`);
 *   message-parse.json §5.2; message-sym.json §5.3; message-asym.json §5.4;
 *   symkey-password.json §5.5; invalid.json by layer: `rlp-decode` §3.3, `parse` §5.2,
 *   `wrap` §5.6, `filter` §5.7, `open` §5.8 (its reasons map to codes there), `node` §6.1;
 *   node-edge.json §6.3; wire.json §7.5;
 * - noise: every Cacophony vector §5;
 * - mixnet-sphinx: packets §5 (a mix's step), SURB replies §7, routing commands §3, AEZ §4.
 * A file the runner does not know, or cannot read, is one case (skipped, or failed) under
 * the spec's vectors section (whisper-v6 §8, noise §5, mixnet-sphinx §5).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CryptoBackend } from '@hush/crypto';
import type { VectorCase } from '../checks/types.js';
import { Mismatch as VectorMismatch } from '../expect.js';
import {
  checkVectorCase,
  describeError,
  readVectorFiles,
  type VectorFile,
  type VectorFormat,
  vectorCaseName,
} from '../runner.js';
import type { ConformanceCase, Outcome } from '../suite/model.js';

/** What an in-process case runs with. */
export interface InProcessContext {
  /** The crypto backend Whisper messages are opened and sealed with. */
  readonly backend: CryptoBackend;
}

/** The specs with vector folders (`<specs>/<spec>/vectors`), in report order. */
export const VECTOR_SPECS = ['whisper-v6', 'noise', 'mixnet-sphinx'] as const;
/** A spec with a vectors folder. */
export type VectorSpec = (typeof VECTOR_SPECS)[number];

/** The section of each spec that describes its vectors as a whole. */
const VECTORS_SECTION: Record<VectorSpec, string> = {
  'whisper-v6': '§8',
  noise: '§5',
  'mixnet-sphinx': '§5',
};

/** The spec a vector format belongs to. */
const SPEC_OF_FORMAT: Record<VectorFormat, VectorSpec> = {
  'whisper-v6': 'whisper-v6',
  noise: 'noise',
  'sphinx-packets': 'mixnet-sphinx',
  'sphinx-commands': 'mixnet-sphinx',
  'sprp-aez': 'mixnet-sphinx',
};

/** whisper-v6's sections by file name, where one section serves every case of the file. */
const WHISPER_FILE_SECTIONS: Record<string, string> = {
  'params.json': '§1.3',
  'topic-bloom.json': '§2.2',
  'envelope-rlp.json': '§3.2',
  'message-parse.json': '§5.2',
  'message-sym.json': '§5.3',
  'message-asym.json': '§5.4',
  'symkey-password.json': '§5.5',
  'node-edge.json': '§6.3',
  'wire.json': '§7.5',
};

/** invalid.json's sections by layer. */
const INVALID_LAYER_SECTIONS: Record<string, string> = {
  'rlp-decode': '§3.3',
  parse: '§5.2',
  wrap: '§5.6',
  filter: '§5.7',
  open: '§5.8',
  node: '§6.1',
};

const FULL_BLOOM = `0x${'ff'.repeat(64)}`;
const EMPTY_BLOOM = `0x${'00'.repeat(64)}`;

function whisperSection(file: string, c: VectorCase): string {
  const name = file.split('/').at(-1) ?? file;
  const bySection = WHISPER_FILE_SECTIONS[name];
  if (bySection) return bySection;
  if (name === 'bloom-match.json') {
    const filter = typeof c.filter === 'string' ? c.filter.toLowerCase() : c.filter;
    if (filter === null || filter === FULL_BLOOM || filter === EMPTY_BLOOM) return '§2.5';
    return Array.isArray(c.filterTopics) && c.filterTopics.length > 1 ? '§2.3' : '§2.4';
  }
  if (name === 'seal-pow.json') return c.mode === 'target' ? '§4.4' : '§4.5';
  if (name === 'invalid.json') return INVALID_LAYER_SECTIONS[String(c.layer)] ?? '§8';
  return VECTORS_SECTION['whisper-v6'];
}

/**
 * The spec section a vector case checks.
 *
 * @param format - the format the runner recognised its file as
 * @param file - the file's path in its folder
 * @param c - the case
 * @throws nothing
 */
export function vectorSection(format: VectorFormat, file: string, c: VectorCase): string {
  switch (format) {
    case 'whisper-v6':
      return whisperSection(file, c);
    case 'noise':
      return '§5';
    case 'sphinx-packets':
      return typeof c.Surb === 'string' && c.Surb !== '' ? '§7' : '§5';
    case 'sphinx-commands':
      return '§3';
    case 'sprp-aez':
      return '§4';
  }
}

/**
 * A failed vector check as the case model's outcome: what was compared, expected and actual,
 * for the checks' mismatches, else the error as the actual value.
 */
function failure(error: unknown): Outcome {
  if (error instanceof VectorMismatch && error.compared) {
    const { what, expected, actual } = error.compared;
    return { status: 'fail', message: what, expected, actual };
  }
  return {
    status: 'fail',
    message: error instanceof VectorMismatch ? error.message : 'an error',
    expected: 'what the vector records',
    actual: describeError(error),
  };
}

/** The cases of one vector file (or the one case saying why it has none). */
function fileCases(
  folderSpec: VectorSpec,
  vectorFile: VectorFile,
): ConformanceCase<InProcessContext>[] {
  const base = { adapter: 'in-process' as const };
  if (vectorFile.kind !== 'cases') {
    const outcome: Outcome =
      vectorFile.kind === 'unreadable'
        ? {
            status: 'fail',
            message: 'a vector file that does not read',
            expected: 'a vector file',
            actual: vectorFile.why,
          }
        : {
            status: 'skip',
            why: `${vectorFile.what}${vectorFile.cases > 0 ? ` (${vectorFile.cases} cases)` : ''}`,
          };
    return [
      {
        ...base,
        id: `${folderSpec}/${vectorFile.file}`,
        spec: folderSpec,
        section: VECTORS_SECTION[folderSpec],
        title: `${vectorFile.file} as a whole`,
        run: async () => outcome,
      },
    ];
  }
  const { file, format, cases, handler } = vectorFile;
  const spec = SPEC_OF_FORMAT[format];
  return cases.map((c, index) => ({
    ...base,
    id: `${folderSpec}/${file}#${index}`,
    spec,
    section: vectorSection(format, file, c ?? {}),
    title: vectorCaseName(c),
    run: async () => {
      const verdict = await checkVectorCase(handler, c);
      if (verdict.status === 'pass') return { status: 'pass' };
      if (verdict.status === 'skip') return { status: 'skip', why: verdict.why };
      return failure(verdict.error);
    },
  }));
}

/**
 * The vector cases of a specs folder: every file of `<specsDir>/<spec>/vectors` for each spec
 * of VECTOR_SPECS, one case per vector. A spec without a vectors folder gives one skipped case
 * saying so.
 *
 * @param specsDir - a folder like the repo's specs/
 * @param backend - the crypto backend the Whisper handlers open and seal with
 * @returns the cases, and the specs whose vectors folder was found
 * @throws if a vectors folder exists but cannot be read
 */
export async function vectorCases(
  specsDir: string,
  backend: CryptoBackend,
): Promise<{ cases: ConformanceCase<InProcessContext>[]; found: VectorSpec[] }> {
  const cases: ConformanceCase<InProcessContext>[] = [];
  const found: VectorSpec[] = [];
  for (const spec of VECTOR_SPECS) {
    const dir = join(specsDir, spec, 'vectors');
    if (!existsSync(dir)) {
      const why = `no folder ${spec}/vectors in ${specsDir}`;
      cases.push({
        id: `${spec}/vectors`,
        spec,
        section: VECTORS_SECTION[spec],
        title: 'the vector files',
        adapter: 'in-process',
        run: async () => ({ status: 'skip', why }),
      });
      continue;
    }
    found.push(spec);
    for (const vectorFile of await readVectorFiles(dir, backend))
      cases.push(...fileCases(spec, vectorFile));
  }
  return { cases, found };
}
