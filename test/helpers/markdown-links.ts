/**
 * An offline link checker for this repository's Markdown: every relative link (`[x](path)`,
 * `[x](path#anchor)`, `[x](#anchor)`, `![x](image)`, `[ref]: path`, `<a href>` and `<img src>`) must name a
 * file or folder of the repository, and its anchor a heading of the target page (GitHub's slug, from the
 * npm package github-slugger, numbered as GitHub numbers repeated headings) or an `id`/`name` in its HTML.
 * External links (http:, https:, mailto:…) are not fetched. Code blocks, code spans and HTML comments are
 * skipped, as GitHub renders no link there.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import GithubSlugger from 'github-slugger'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface Link {
  /** Relative to the repository root, `/`-separated. */
  file: string
  line: number
  target: string
}

export interface BrokenLink extends Link {
  problem: string
}

/** `README.md` and every `.md` under `docs/`, relative to the root, sorted. */
export function markdownFiles(root = REPO_ROOT): string[] {
  const docs = path.join(root, 'docs')
  const under = existsSync(docs)
    ? readdirSync(docs, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    : []
  return [...(existsSync(path.join(root, 'README.md')) ? ['README.md'] : []), ...under.sort()]
}

const blank = (text: string) => text.replace(/[^\n]/g, ' ')

/** The Markdown outside fenced code blocks and HTML comments, same length and lines (the rest spaces). */
export function withoutFences(markdown: string): string {
  const lines = markdown.split('\n')
  let fence: { char: string; length: number } | undefined
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line)
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line)
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length) fence = undefined
      lines[i] = blank(line)
    } else if (open && !(open[1]![0] === '`' && line.slice(line.indexOf('`') + open[1]!.length).includes('`'))) {
      fence = { char: open[1]![0]!, length: open[1]!.length }
      lines[i] = blank(line)
    }
  }
  return lines.join('\n').replace(/<!--[^]*?-->/g, blank)
}

/** The text where GitHub renders links: code blocks, HTML comments and code spans turned into spaces. */
export const withoutCode = (markdown: string): string => withoutFences(markdown).replace(/(`+)(?:(?!\n[ \t]*\n)[^])*?(?<!`)\1(?!`)/g, blank)

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length

/** The links of a Markdown text, in order, each with its line. */
export function linksIn(markdown: string, file: string): Link[] {
  const text = withoutCode(markdown)
  const links: Array<Link & { index: number }> = []
  const add = (index: number, target: string) => links.push({ file, line: lineAt(text, index), target: target.trim(), index })
  // inline links and images: `](target)`, `](<target>)`, `](target "title")`
  for (const m of text.matchAll(/\]\(\s*(<[^>\n]*>|[^)\s]+)/g)) add(m.index, m[1]!.replace(/^<|>$/g, ''))
  // reference definitions: `[ref]: target`
  for (const m of text.matchAll(/^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/gm)) add(m.index, m[1]!.replace(/^<|>$/g, ''))
  // HTML: <a href="…">, <img src="…">
  for (const m of text.matchAll(/<(?:a|img|source)\b[^>]*?\s(?:href|src|srcset)\s*=\s*["']([^"']*)["']/gi)) add(m.index, m[1]!)
  return links.sort((a, b) => a.index - b.index).map(({ index: _, ...link }) => link)
}

/** What GitHub shows of a heading's Markdown: link and image texts, code span contents, no emphasis or HTML. */
export function headingText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/!?\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/(`+)([^]*?)\1/g, '$2')
    .replace(/(?<!\\)<[^>\n]+>/g, '')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, '')
}

/** The anchors of a Markdown page: its headings' slugs as GitHub numbers them, and its HTML ids and names. */
export function anchorsOf(markdown: string): Set<string> {
  const slugger = new GithubSlugger()
  const anchors = new Set<string>()
  const lines = withoutFences(markdown).split('\n')
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line)
    const previous = lines[i - 1] ?? ''
    const setext = /^ {0,3}(=+|-+)[ \t]*$/.test(line) && previous.trim() !== '' && !/^ {0,3}([#>|]|[-*+] |\d+[.)] |(=+|-+)[ \t]*$)/.test(previous)
    if (atx) anchors.add(slugger.slug(headingText(atx[1] ?? '')))
    else if (setext) anchors.add(slugger.slug(headingText(previous.trim())))
  })
  for (const m of withoutCode(markdown).matchAll(/<[a-z][^>]*?\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)) anchors.add(m[1]!)
  return anchors
}

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i

/** The paths git ignores (build output: on GitHub a link there is broken), among those given. */
export function ignoredByGit(root: string, paths: string[]): Set<string> {
  if (paths.length === 0) return new Set()
  try {
    const out = execFileSync('git', ['check-ignore', '--stdin'], { cwd: root, input: paths.join('\n'), encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] })
    return new Set(out.split('\n').filter(Boolean))
  } catch (error) {
    // exit 1: none of them is ignored; no git (a copy without .git): nothing to say
    return new Set(
      String((error as { stdout?: string }).stdout ?? '')
        .split('\n')
        .filter(Boolean),
    )
  }
}

export interface Resolution {
  /** Why the link is broken, or undefined. */
  problem?: string
  /** The file or folder it names, relative to the root (`''`: the root). */
  target?: string
}

/** Where a link of `from` (a file relative to root) leads, and why it is broken if it is; external: `{}`. */
export function resolveLink(from: string, link: string, root = REPO_ROOT, anchors: (page: string) => Set<string> = (page) => anchorsOf(readFileSync(path.join(root, page), 'utf8'))): Resolution {
  if (EXTERNAL.test(link)) return {}
  const hash = link.indexOf('#')
  const [rawPath, rawAnchor] = hash === -1 ? [link, undefined] : [link.slice(0, hash), link.slice(hash + 1)]
  let pathPart: string
  let anchor: string | undefined
  try {
    pathPart = decodeURIComponent(rawPath.replace(/\?.*$/, ''))
    anchor = rawAnchor === undefined ? undefined : decodeURIComponent(rawAnchor)
  } catch {
    return { problem: 'not a valid URL (bad percent-encoding)' }
  }
  // `/x` is the repository root on GitHub; `x` is beside the file
  const absolute = pathPart === '' ? path.join(root, from) : pathPart.startsWith('/') ? path.join(root, pathPart) : path.join(root, path.dirname(from), pathPart)
  const target = path.relative(root, absolute).split(path.sep).join('/')
  if (target === '..' || target.startsWith('../') || path.isAbsolute(target)) return { problem: 'points outside the repository' }
  if (!existsSync(absolute)) return { problem: `${target || '.'} does not exist` }
  if (anchor === undefined || anchor === '') return { target }
  // a folder shows its README.md; a non-Markdown file only has GitHub's line anchors
  const page = statSync(absolute).isDirectory() ? (existsSync(path.join(absolute, 'README.md')) ? path.posix.join(target, 'README.md') : undefined) : target
  if (page?.endsWith('.md')) return anchors(page).has(anchor) ? { target } : { target, problem: `${page} has no heading or id #${anchor}` }
  return /^L\d+(?:-L\d+)?$/.test(anchor) ? { target } : { target, problem: `#${anchor} on ${target || '.'}, which is not a Markdown page` }
}

/** Every broken relative link of the given Markdown files (relative to root), with file and line. */
export function brokenLinks(files: string[], root = REPO_ROOT): BrokenLink[] {
  const cache = new Map<string, Set<string>>()
  const anchors = (page: string) => {
    if (!cache.has(page)) cache.set(page, anchorsOf(readFileSync(path.join(root, page), 'utf8')))
    return cache.get(page)!
  }
  const broken: BrokenLink[] = []
  const resolved: Array<{ link: Link; target: string }> = []
  for (const file of files) {
    for (const link of linksIn(readFileSync(path.join(root, file), 'utf8'), file)) {
      const { problem, target } = resolveLink(file, link.target, root, anchors)
      if (problem) broken.push({ ...link, problem })
      else if (target) resolved.push({ link, target })
    }
  }
  const ignored = ignoredByGit(root, [...new Set(resolved.map(({ target }) => target))])
  for (const { link, target } of resolved) if (ignored.has(target)) broken.push({ ...link, problem: `${target} is ignored by git (not in the repository on GitHub)` })
  return broken.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1))
}

/** `docs/x.md:12: [](target): problem`, one line per broken link. */
export const formatBroken = (links: BrokenLink[]) => links.map((link) => `${link.file}:${link.line}: (${link.target}) ${link.problem}`)
