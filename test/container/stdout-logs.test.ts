// svscan --log-stdout: services without log/ write to svscan's stdout, each line prefixed with the
// service's name, whole lines only, a partial last line ended at the stop; a kill -9 of svscan
// leaves the services running (no SIGPIPE), and the next svscan reads on.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { Sandbox, upPid, waitFor, isAlive, statusPid } from '../helpers/sandbox.ts';
import { exitOf, startSvscan, type Svscan } from '../svscan/helpers.ts';

let sb: Sandbox;
afterEach(() => sb?.cleanup());

function stdoutOf(svscan: Svscan): () => string {
  let text = '';
  svscan.stdout!.setEncoding('utf8').on('data', (d: string) => { text += d; });
  return () => text;
}

// Each line of N is written in three writes (a head, a long middle, the end), so that lines of two
// services would mix if svscan copied reads instead of whole lines.
const writer = (tag: string, lines: number) => `#!/bin/sh
i=0
mid=$(printf '%0500d' 0 | tr 0 ${tag})
while [ $i -lt ${lines} ]; do
  printf '${tag}-%d ' $i
  printf '%s%s%s%s' $mid $mid $mid $mid
  printf ' end\\n'
  i=$((i+1))
done
printf 'last words without newline' >&2
exec sleep 100000
`;

describe('svscan --log-stdout', () => {
  it('prefixes whole lines per service, never mixes them, ends the partial last line at stop', async () => {
    sb = new Sandbox();
    sb.service('scan/alpha', writer('a', 2000));
    sb.service('scan/beta', writer('b', 2000));
    const svscan = startSvscan(sb, sb.path('scan'), ['--log-stdout', '--kill-timeout', '2']);
    const out = stdoutOf(svscan);
    await waitFor('every line', () => out().split('\n').filter((l) => / end$/.test(l)).length >= 4000 || undefined, 60_000, 100);
    process.kill(svscan.pid!, 'SIGTERM');
    expect(await exitOf(svscan)).toEqual({ code: 0, signal: null });
    const lines = out().split('\n');
    expect(lines.pop()).toBe(''); // ends with a newline
    const body = (tag: string) => `${tag.repeat(2000)} end`;
    const bad = lines.filter((l) => !/^alpha: a-\d+ a+ end$/.test(l) && !/^beta: b-\d+ b+ end$/.test(l)
      && l !== 'alpha: last words without newline' && l !== 'beta: last words without newline');
    expect(bad.slice(0, 3)).toEqual([]);
    for (const [name, tag] of [['alpha', 'a'], ['beta', 'b']] as const) {
      const own = lines.filter((l) => l.startsWith(`${name}: ${tag}-`));
      expect(own.length).toBe(2000);
      expect(own.every((l, i) => l === `${name}: ${tag}-${i} ${body(tag)}`)).toBe(true);
      expect(lines).toContain(`${name}: last words without newline`);
    }
  }, 90_000);

  it('a service with log/ keeps its logger; kill -9 of svscan leaves the service up (same pid), the next svscan reads on', async () => {
    sb = new Sandbox();
    const talker = sb.service('scan/talker', `#!/bin/sh
i=0
while :; do echo "line $i"; i=$((i+1)); sleep 0.05; done
`);
    const logged = sb.service('scan/logged', '#!/bin/sh\nwhile :; do echo to-its-logger; sleep 0.2; done\n');
    mkdirSync(`${logged}/log`);
    sb.service('scan/logged/log', `#!/bin/sh\nexec cat > ${sb.path('logged.txt')}\n`);
    const first = startSvscan(sb, sb.path('scan'), ['--log-stdout']);
    const out1 = stdoutOf(first);
    const pid = await upPid(talker);
    await waitFor('talker lines', () => out1().includes('talker: line 3\n'));
    process.kill(first.pid!, 'SIGKILL');
    await exitOf(first);
    // Unread meanwhile: the pipe fills (64 KiB at ~10 lines/s is far) and nothing kills it.
    await new Promise((r) => setTimeout(r, 1000));
    expect(isAlive(pid)).toBe(true);
    const second = startSvscan(sb, sb.path('scan'), ['--log-stdout']);
    const out2 = stdoutOf(second);
    await waitFor('adopted', () => second.has((r) => r.service === 'talker' && r.msg.startsWith('adopted')));
    await waitFor('lines through the second svscan', () => /talker: line \d+\n/.test(out2()) || undefined);
    expect(statusPid(talker)).toBe(pid);
    expect(out1() + out2()).not.toContain('to-its-logger');
    process.kill(second.pid!, 'SIGTERM');
    expect(await exitOf(second)).toEqual({ code: 0, signal: null });
  }, 60_000);
});
