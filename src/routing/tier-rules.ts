/**
 * Default administrative tier for directory imports that do not carry one. Used ONLY at import time:
 * the result is stored in the directory and routing never guesses (see ARCHITECTURE.md).
 *
 * Rules, in order (the first that applies wins):
 *   0. an explicit override (organId → tier) always wins; then a tier given in the file;
 *   1. level-1 G.. → central; level-1 H.. → province; other level-1 letters (A, K, W…) → no default;
 *   2. level-2 under a province (H..): named "UBND huyện / thị xã / thành phố / quận …" → district,
 *      named as a commune (rule 3's names) → commune: since 1/7/2025 a commune sits directly under its
 *      province (two-level local government, Resolution 60-NQ/TW), anything else (Sở, Văn phòng, Ban,
 *      Cục …) → province;
 *   3. level-3 named "UBND xã / phường / thị trấn / đặc khu …" → commune (đặc khu: the special zones of
 *      the 2025 commune list, Decision 19/2025/QĐ-TTg);
 *   4. otherwise the tier of the nearest ancestor present in the directory (explicit parent first,
 *      else the code parent chain); no ancestor → no default (the importer reports it).
 * "UBND" also matches "Ủy/Uỷ ban nhân dân"; matching ignores case, diacritics, zero-width characters
 * and extra spaces (the Tây Ninh directory has "UBND Thị Trấn …", "huyện\u200b …").
 */
import { isAgencyCode, parentOf, parseAgencyCode } from './agency-code.ts'
import { TIERS, type Tier } from './types.ts'

export type TierOverrides = ReadonlyMap<string, Tier> | Readonly<Record<string, Tier>>
export type TierSource = 'override' | 'explicit' | 'rule' | 'parent'

export function isTier(v: unknown): v is Tier {
  return typeof v === 'string' && (TIERS as readonly string[]).includes(v)
}

/** Lower-case, strip diacritics (đ → d), drop zero-width characters, collapse spaces. */
export function foldVietnamese(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[\s\u00a0]+/g, ' ')
    .trim()
}

const UBND = String.raw`(?:ubnd|uy ban nhan dan)`
const DISTRICT_NAME = new RegExp(`^${UBND} (?:huyen|thi xa|thanh pho|quan)(?:\\s|$)`)
const COMMUNE_NAME = new RegExp(`^${UBND} (?:xa|phuong|thi tran|dac khu)(?:\\s|$)`)

// only the start of a name matters: fold a bounded prefix (cheap on 111,000-agency imports)
const head = (name: string): string => foldVietnamese(name.slice(0, 64))
export const isDistrictName = (name: string): boolean => DISTRICT_NAME.test(head(name))
export const isCommuneName = (name: string): boolean => COMMUNE_NAME.test(head(name))

/**
 * Rules 1–4 for one agency. `parentTier` is the tier already assigned to its nearest ancestor present
 * in the directory (null when none). Returns null when no rule gives a tier (malformed code included).
 */
export function inferTier(organId: string, name: string, parentTier: Tier | null): { tier: Tier; source: 'rule' | 'parent' } | null {
  if (!isAgencyCode(organId)) return null
  const c = parseAgencyCode(organId)
  if (c.level === 1) {
    if (c.bloc === 'G') return { tier: 'central', source: 'rule' }
    if (c.bloc === 'H') return { tier: 'province', source: 'rule' }
    return null
  }
  if (c.level === 2 && c.bloc === 'H') return { tier: isDistrictName(name) ? 'district' : isCommuneName(name) ? 'commune' : 'province', source: 'rule' }
  if (c.level === 3 && isCommuneName(name)) return { tier: 'commune', source: 'rule' }
  return parentTier ? { tier: parentTier, source: 'parent' } : null
}

export function overrideFor(overrides: TierOverrides | undefined, organId: string): Tier | undefined {
  if (!overrides) return undefined
  if (overrides instanceof Map) return overrides.get(organId)
  const rec = overrides as Readonly<Record<string, Tier>>
  return Object.prototype.hasOwnProperty.call(rec, organId) ? rec[organId] : undefined
}

export interface TierInput {
  organId: string
  name: string
  /** tier given by the source file, if any */
  tier?: Tier | null
  /** explicit parent, if any (else the code parent chain is used) */
  parent?: string | null
}

export interface TierAssignment {
  tier: Tier
  source: TierSource
}

/**
 * Assign a tier to every entry, parents before children whatever the input order, so inherited
 * tiers see overrides and explicit tiers of their ancestors. Entries with no tier are listed in
 * `unresolved` with the reason. Duplicated organIds: the first entry is used.
 */
export function assignTiers(entries: readonly TierInput[], overrides?: TierOverrides): { tiers: Map<string, TierAssignment>; unresolved: { organId: string; reason: string }[] } {
  for (const [id, tier] of overrides instanceof Map ? overrides : Object.entries(overrides ?? {})) {
    if (!isTier(tier)) throw new TypeError(`tier override for ${id}: ${JSON.stringify(tier)} is not one of ${TIERS.join(', ')}`)
  }
  const byId = new Map<string, TierInput>()
  for (const e of entries) if (!byId.has(e.organId)) byId.set(e.organId, e)
  const tiers = new Map<string, TierAssignment>()
  const unresolved: { organId: string; reason: string }[] = []
  const visiting = new Set<string>()
  const failed = new Set<string>()

  const resolve = (id: string): TierAssignment | null => {
    const done = tiers.get(id)
    if (done) return done
    const e = byId.get(id)
    if (!e || failed.has(id)) return null
    if (visiting.has(id)) return null // explicit-parent cycle: fall back to no parent tier
    visiting.add(id)
    let out: TierAssignment | null = null
    const o = overrideFor(overrides, id)
    if (o) out = { tier: o, source: 'override' }
    else if (e.tier) out = { tier: e.tier, source: 'explicit' }
    else {
      // nearest resolvable ancestor: the explicit parent first, then the code parent chain
      let parentTier: Tier | null = e.parent && e.parent !== id && byId.has(e.parent) ? (resolve(e.parent)?.tier ?? null) : null
      if (parentTier === null && isAgencyCode(id)) {
        for (let p = parentOf(id); p !== null; p = parentOf(p)) {
          const a = byId.has(p) ? resolve(p) : null
          if (a) {
            parentTier = a.tier
            break
          }
        }
      }
      out = inferTier(id, e.name, parentTier)
    }
    visiting.delete(id)
    if (out) tiers.set(id, out)
    else failed.add(id)
    return out
  }

  for (const id of byId.keys()) {
    if (resolve(id)) continue
    const reason = !isAgencyCode(id)
      ? 'malformed agency code'
      : parseAgencyCode(id).level === 1
        ? `no default tier for level-1 prefix ${id[10]} (only G → central and H → province); give the tier explicitly or as an override`
        : 'no tier given and no ancestor in the directory to inherit from; give the tier explicitly or as an override'
    unresolved.push({ organId: id, reason })
  }
  return { tiers, unresolved }
}
