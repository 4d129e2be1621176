/**
 * README.md and docs/ link only to what exists: every relative link and image names a file or folder of
 * the repository (tracked, not build output), and every #anchor a heading or id of its page. Offline:
 * external links are not fetched. All the broken links are reported at once, as file:line. The pages
 * `--help` points to (src/cli/docs-links.ts) are checked the same way.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMMAND_DOCS, FALLBACK_DOCS, ROOT_DOCS, START_DOCS } from '../../src/cli/docs-links.js'
import { anchorsOf, brokenLinks, formatBroken, headingText, ignoredByGit, linksIn, markdownFiles, REPO_ROOT, resolveLink } from '../helpers/markdown-links.js'

describe('links in README.md and docs/', () => {
  const files = markdownFiles()

  it('finds README.md and the docs pages', () => {
    expect(files[0]).toBe('README.md')
    expect(files).toEqual(expect.arrayContaining(['docs/commands.md', 'docs/configuration.md', 'docs/errors.md']))
  })

  it('every relative link resolves to a file of the repository, and its anchor to a heading', () => {
    expect(formatBroken(brokenLinks(files))).toEqual([])
  })

  it('every docs/ page `--help` prints exists, with the heading it names', () => {
    const targets = [...new Set([ROOT_DOCS, START_DOCS, FALLBACK_DOCS, ...Object.values(COMMAND_DOCS)])]
    const problems = targets.map((target) => [target, resolveLink('docs/README.md', target).problem]).filter(([, problem]) => problem)
    expect(problems.map(([target, problem]) => `${target}: ${problem}`)).toEqual([])
  })
})

describe('the link checker', () => {
  it('reads inline links, images, reference definitions and HTML, and skips code', () => {
    const md = ['See [a](a.md) and ![img](i.png "t").', '', '```sh', '[no](code.md)', '```', 'Inline `[no](span.md)` <!-- [no](c.md) -->', '[ref]: <r.md#x>', '<a href="h.md">h</a>'].join('\n')
    expect(linksIn(md, 'x.md').map((l) => `${l.line} ${l.target}`)).toEqual(['1 a.md', '1 i.png', '7 r.md#x', '8 h.md'])
  })
  it('anchors headings as GitHub does: code, links and punctuation dropped, repeats numbered, ids kept', () => {
    const md = [
      '# The emulator (`sls-run dev`)',
      '## Invalid sls-run.yaml',
      '## [Linked](x.md) _title_',
      '## Repeat',
      '## Repeat',
      'Setext',
      '---',
      '<a id="custom"></a>',
      '```',
      '# not a heading',
      '```',
    ].join('\n')
    expect([...anchorsOf(md)]).toEqual(['the-emulator-sls-run-dev', 'invalid-sls-runyaml', 'linked-title', 'repeat', 'repeat-1', 'setext', 'custom'])
    expect(headingText('`sls-run build` \\<x>')).toBe('sls-run build <x>')
  })
  it('reports every broken link at once, with its file and line', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sls-run-links-'))
    try {
      mkdirSync(path.join(root, 'docs', 'deploy'), { recursive: true })
      writeFileSync(path.join(root, 'README.md'), '# Top\n\n[ok](docs/a.md#part-one) [ok](docs/deploy) [ok](#top) [ok](https://example.com/x.md)\n[gone](docs/b.md)\n')
      writeFileSync(
        path.join(root, 'docs', 'a.md'),
        '# A\n\n## Part one\n\n[bad anchor](../README.md#nope)\n[out](../../shared/EMULATION.md) [ok](deploy/README.md#x)\n[no anchors here](../src.ts#top)\n',
      )
      writeFileSync(path.join(root, 'docs', 'deploy', 'README.md'), '<a id="x"></a>\n# Deploy\n')
      writeFileSync(path.join(root, 'src.ts'), '')
      expect(formatBroken(brokenLinks(markdownFiles(root), root))).toEqual([
        'README.md:4: (docs/b.md) docs/b.md does not exist',
        'docs/a.md:5: (../README.md#nope) README.md has no heading or id #nope',
        'docs/a.md:6: (../../shared/EMULATION.md) points outside the repository',
        'docs/a.md:7: (../src.ts#top) #top on src.ts, which is not a Markdown page',
      ])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
  it('counts a link to build output (ignored by git) as broken: GitHub does not have it', () => {
    expect([...ignoredByGit(REPO_ROOT, ['dist', 'oclif.manifest.json', 'package.json', 'docs'])].sort()).toEqual(['dist', 'oclif.manifest.json'])
  })
})
