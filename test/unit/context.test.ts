/** The build context tar: what goes in, under which name, with which header. Real temp folders. */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import tar from 'tar-stream'
import { describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/image/context.js'
import { useTempDir } from '../helpers/temp.js'

interface Entry {
  name: string
  type: string
  uid: number
  gid: number
  mode: number
  linkname?: string | null
  content: string
}

async function entries(stream: NodeJS.ReadableStream): Promise<Entry[]> {
  const out: Entry[] = []
  const extract = tar.extract()
  extract.on('entry', (header, body, next) => {
    let content = ''
    body.on('data', (chunk: unknown) => (content += String(chunk)))
    body.on('end', () => {
      out.push({ name: header.name, type: header.type!, uid: header.uid!, gid: header.gid!, mode: header.mode!, linkname: header.linkname, content })
      next()
    })
  })
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve).on('error', reject)
    stream.pipe(extract as unknown as NodeJS.WritableStream)
  })
  return out
}

function tree(root: string, files: Record<string, string>) {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    writeFileSync(path.join(root, rel), content)
  }
}

describe('createContext', () => {
  const tempDir = useTempDir('sls-run-context-')

  it('applies .dockerignore, re-includes a negated file, keeps the Dockerfile and .dockerignore, owns all by root', async () => {
    const root = tempDir()
    tree(root, {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '.env\nsecrets\n!secrets/public.pem\nnode_modules\nDockerfile\n.dockerignore\n**/*.log\n',
      '.env': 'TOKEN=x',
      'secrets/private.key': 'k',
      'secrets/public.pem': 'p',
      'node_modules/a/index.js': 'a',
      'src/app.js': 'app',
      'src/deep/debug.log': 'log',
    })
    symlinkSync('src/app.js', path.join(root, 'link.js'))
    chmodSync(path.join(root, 'src/app.js'), 0o755)
    const context = await createContext({ root, dockerfile: path.join(root, 'Dockerfile') })
    const list = await entries(context.stream)
    const stats = await context.done
    expect(list.map((e) => e.name)).toEqual(['.dockerignore', 'Dockerfile', 'link.js', 'secrets/public.pem', 'src/', 'src/app.js', 'src/deep/'])
    expect(list.every((e) => e.uid === 0 && e.gid === 0)).toBe(true)
    expect(list.find((e) => e.name === 'link.js')).toMatchObject({ type: 'symlink', linkname: 'src/app.js' })
    expect(list.find((e) => e.name === 'src/app.js')).toMatchObject({ type: 'file', mode: 0o755, content: 'app' })
    expect(context.dockerfile).toBe('Dockerfile')
    expect(stats.files).toBe(5)
    expect(stats.bytes).toBe(list.filter((e) => e.type === 'file').reduce((n, e) => n + e.content.length, 0))
  })

  it('sends a Dockerfile from outside the context under a private name', async () => {
    const root = tempDir()
    tree(root, { 'ctx/a.txt': 'a', 'docker/prod.Dockerfile': 'FROM scratch\nCOPY a.txt /\n' })
    const context = await createContext({ root: path.join(root, 'ctx'), dockerfile: path.join(root, 'docker/prod.Dockerfile') })
    const list = await entries(context.stream)
    expect(context.dockerfile).toBe('.sls-run.Dockerfile')
    expect(list.map((e) => [e.name, e.content])).toEqual([
      ['a.txt', 'a'],
      ['.sls-run.Dockerfile', 'FROM scratch\nCOPY a.txt /\n'],
    ])
  })

  it('keeps a Dockerfile inside an excluded folder', async () => {
    const root = tempDir()
    tree(root, { 'build/Dockerfile': 'FROM scratch\n', 'build/other.txt': 'x', '.dockerignore': 'build\n', 'a.txt': 'a' })
    const context = await createContext({ root, dockerfile: path.join(root, 'build/Dockerfile') })
    expect((await entries(context.stream)).map((e) => e.name)).toEqual(['.dockerignore', 'a.txt', 'build/Dockerfile'])
    expect(context.dockerfile).toBe('build/Dockerfile')
  })

  it('an unreadable file fails with CONTEXT_UNREADABLE naming it', async () => {
    if (process.getuid?.() === 0) {
      // root reads anything; a dangling directory entry is the unreadable case root still hits
      const root = tempDir()
      tree(root, { Dockerfile: 'FROM scratch\n' })
      const context = await createContext({ root: path.join(root, 'missing'), dockerfile: path.join(root, 'Dockerfile') })
      context.stream.resume()
      await expect(context.done).rejects.toMatchObject({ code: 'CONTEXT_UNREADABLE', message: expect.stringContaining('missing') })
      return
    }
    const root = tempDir()
    tree(root, { Dockerfile: 'FROM scratch\n', 'secret.txt': 's' })
    chmodSync(path.join(root, 'secret.txt'), 0)
    const context = await createContext({ root, dockerfile: path.join(root, 'Dockerfile') })
    context.stream.resume()
    await expect(context.done).rejects.toMatchObject({ code: 'CONTEXT_UNREADABLE', message: expect.stringContaining('secret.txt') })
  })
})
