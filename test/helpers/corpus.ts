/**
 * The optional interoperability corpus: the official VPCP/VNPT sample packages and a real hub directory,
 * kept beside the project in ../shared/edxml (no licence is stated, so they are never copied in; see its
 * SOURCES.txt). Tests that read it skip with one line naming the folder when it is absent — a fresh clone
 * has none. LGSP_EDXML_CORPUS names another folder.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const CORPUS_DIR = path.resolve(process.env.LGSP_EDXML_CORPUS || path.join(ROOT, '../shared/edxml'))

export const corpusPath = (rel: string) => path.join(CORPUS_DIR, rel)

/** `false` when the corpus file or folder is there, else the skip reason tap prints. */
export const corpusSkip = (rel: string): false | string =>
  existsSync(corpusPath(rel)) ? false : `optional corpus absent: ${corpusPath(rel)} (set LGSP_EDXML_CORPUS to a copy of shared/edxml)`
