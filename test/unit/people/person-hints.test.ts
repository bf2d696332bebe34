import { describe, expect, it } from 'vitest';
import { personFromCwd, personFromMachine, personHint } from '../../../shared/people/person-hints.js';

describe('personFromMachine', () => {
  it.each([
    ['alice@gpu-box', 'alice'],
    ['bob.smith@laptop.local', 'bob.smith'],
    ['svc_ci@runner-7', 'svc_ci'],
    ['DOMAIN-user@host', 'DOMAIN-user'],
  ])('%s names %s', (machine, person) => {
    expect(personFromMachine(machine)).toBe(person);
  });

  it.each([
    ['gpu-box', 'a plain host name'],
    ['@gpu-box', 'no user'],
    ['alice@', 'no host'],
    ['alice@bob@host', 'two @'],
    ['al ice@host', 'a space in the user'],
    ['..@host', 'a dot-dot user'],
    ['-x@host', 'a user starting with a dash'],
  ])('%s names no one (%s)', (machine) => {
    expect(personFromMachine(machine)).toBeNull();
  });
});

describe('personFromCwd', () => {
  it.each([
    ['/Users/alice/src/app', 'alice'],
    ['/Users/alice', 'alice'],
    ['/home/bob/work', 'bob'],
    ['/home/bob', 'bob'],
    ['/root/project', 'root'],
    ['/root', 'root'],
    ['C:\\Users\\Carol\\repo', 'Carol'],
    ['c:/Users/carol/repo', 'carol'],
    ['D:\\users\\dave', 'dave'],
  ])('%s is in the home of %s', (cwd, person) => {
    expect(personFromCwd(cwd)).toBe(person);
  });

  it.each([
    [null],
    [''],
    ['/opt/project'],
    ['/Users/Shared/project'],
    ['C:\\Users\\Public\\x'],
    ['/workspace/home/bob'],
    ['/rooted/x'],
    ['/homes/bob'],
    ['relative/home/bob'],
  ])('%s is in no one\'s home', (cwd) => {
    expect(personFromCwd(cwd)).toBeNull();
  });
});

describe('personHint', () => {
  it('takes the key before the log', () => {
    expect(personHint('alice@shared-gpu', '/home/bob/x')).toEqual({ person: 'alice', source: 'key' });
  });
  it('falls back to the log on a plain machine name', () => {
    expect(personHint('shared-gpu', '/home/bob/x')).toEqual({ person: 'bob', source: 'logs' });
  });
  it('names no one when neither says', () => {
    expect(personHint('shared-gpu', '/srv/x')).toBeNull();
  });
});
