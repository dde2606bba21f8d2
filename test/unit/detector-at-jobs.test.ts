import { atJobCommands, atJobs } from '../../src/scan/detectors/at-jobs.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('at-jobs detector', () => {
  it('extracts the job from the here-document', () => {
    expect(atJobCommands("umask 22\ncd /x\n${SHELL:-/bin/sh} << 'marcinDELIMITER1'\necho hi\n\nmarcinDELIMITER1\n")).toEqual([{ line: 4, text: 'echo hi' }]);
  });
  it('benign: a pending reindex job is low', async () => {
    const res = await runOn(atJobs, `${PERSIST}/at-jobs/benign`);
    expect(res.findings.map((f) => [f.severity, f.user])).toEqual([['low', 'deploy']]);
  });
  it('malicious: a root at job piping wget into sh is critical', async () => {
    const res = await runOn(atJobs, `${PERSIST}/at-jobs/malicious`);
    expect(atLeast(res, 'critical').map((f) => [f.rule, f.user, f.attack])).toEqual([['at-jobs.fetch-exec', 'root', 'T1053.002']]);
  });
});
